import type { CommandContext, CommandSpec } from '../command.js';

/** The cert-making exports of `@tollgate/server` the CLI uses (loaded lazily, like the agent). */
interface TlsModule {
  writeCaFiles(dir: string, opts?: { days?: number; commonName?: string }): { cert: string; key: string };
  writeCertFiles(
    dir: string,
    opts: {
      kind: 'server' | 'client' | 'cli';
      region?: string;
      days?: number;
      additionalDnsNames?: readonly string[];
      additionalIpAddresses?: readonly string[];
      caFile?: string;
      caKeyFile?: string;
    },
  ): { cert: string; key: string };
}

async function loadTls(): Promise<TlsModule> {
  const mod: TlsModule = await import('@tollgate/server');
  return mod;
}

function days(ctx: CommandContext): number | undefined | 'bad' {
  const raw = ctx.flags.string('days');
  if (raw === undefined) return undefined;
  return /^\d{1,5}$/.test(raw) && Number(raw) > 0 ? Number(raw) : 'bad';
}

/** `tollgate tls ca create`: the agent CA, as `nomad tls ca create`. */
export const tlsCaCreateCommand: CommandSpec = {
  name: 'tls ca create',
  synopsis: 'Create a certificate authority for Tollgate',
  usage: 'tollgate tls ca create [options]',
  description:
    'Create a new certificate authority (tollgate-agent-ca.pem and tollgate-agent-ca-key.pem\n' +
    'in the current directory; the key is written with mode 0600). Existing files are\n' +
    'never overwritten.',
  optionsTitle: 'CA Create Options',
  flags: [
    { name: 'days', kind: 'string', placeholder: '<int>', help: 'Provide number of days the CA is valid for from now on. Defaults to 5 years.' },
    { name: 'common-name', kind: 'string', placeholder: '<name>', help: 'Common Name of the CA. Defaults to "Tollgate Agent CA <random>".' },
  ],
  clientFlags: false,
  async run(ctx) {
    if (ctx.args.length > 0) return ctx.usageError('This command takes no arguments');
    const d = days(ctx);
    if (d === 'bad') return ctx.usageError('-days must be a positive number of days');
    try {
      const tls = await loadTls();
      const cn = ctx.flags.string('common-name');
      const out = tls.writeCaFiles(ctx.io.cwd ?? process.cwd(), { ...(d === undefined ? {} : { days: d }), ...(cn === undefined ? {} : { commonName: cn }) });
      ctx.out(`==> CA certificate saved to: ${out.cert}`);
      ctx.out(`==> CA certificate key saved to: ${out.key}`);
      return 0;
    } catch (err) {
      return ctx.fail('Error creating the CA', err);
    }
  },
};

/** `tollgate tls cert create -server|-client|-cli`: a certificate signed by the agent CA, as `nomad tls cert create`. */
export const tlsCertCreateCommand: CommandSpec = {
  name: 'tls cert create',
  synopsis: 'Create a new certificate',
  usage: 'tollgate tls cert create [options]',
  description:
    'Create a new certificate signed by the CA in the current directory. Server certificates\n' +
    'name server.<region>.tollgate, localhost and 127.0.0.1 (<region>-server-tollgate.pem);\n' +
    'client certificates client.<region>.tollgate (<region>-client-tollgate.pem); CLI\n' +
    'certificates cli.<region>.tollgate (<region>-cli-tollgate.pem). Keys are written with\n' +
    'mode 0600; existing files are never overwritten.',
  optionsTitle: 'Certificate Create Options',
  flags: [
    { name: 'server', kind: 'bool', help: 'Generate a server certificate.' },
    { name: 'client', kind: 'bool', help: 'Generate a client certificate.' },
    { name: 'cli', kind: 'bool', help: 'Generate a certificate for use with the CLI.' },
    { name: 'region', kind: 'string', placeholder: '<region>', help: 'Provide the region. Defaults to "global".' },
    { name: 'days', kind: 'string', placeholder: '<int>', help: 'Provide number of days the certificate is valid for from now on. Defaults to 1 year.' },
    { name: 'ca', kind: 'string', placeholder: '<path>', help: 'Provide path to the CA. Defaults to ./tollgate-agent-ca.pem.' },
    { name: 'key', kind: 'string', placeholder: '<path>', help: 'Provide path to the CA key. Defaults to ./tollgate-agent-ca-key.pem.' },
    { name: 'additional-dnsname', kind: 'list', placeholder: '<name>', help: 'Provide an additional dnsname for Subject Alternative Names. May be repeated.' },
    { name: 'additional-ipaddress', kind: 'list', placeholder: '<ip>', help: 'Provide an additional ipaddress for Subject Alternative Names. May be repeated.' },
  ],
  clientFlags: false,
  async run(ctx) {
    if (ctx.args.length > 0) return ctx.usageError('This command takes no arguments');
    const kinds = (['server', 'client', 'cli'] as const).filter((k) => ctx.flags.bool(k));
    if (kinds.length !== 1) return ctx.usageError('Exactly one of -server, -client or -cli must be given');
    const d = days(ctx);
    if (d === 'bad') return ctx.usageError('-days must be a positive number of days');
    const region = ctx.flags.string('region');
    const ca = ctx.flags.string('ca');
    const key = ctx.flags.string('key');
    try {
      const tls = await loadTls();
      const out = tls.writeCertFiles(ctx.io.cwd ?? process.cwd(), {
        kind: kinds[0]!,
        ...(region === undefined ? {} : { region }),
        ...(d === undefined ? {} : { days: d }),
        ...(ca === undefined ? {} : { caFile: ca }),
        ...(key === undefined ? {} : { caKeyFile: key }),
        additionalDnsNames: ctx.flags.list('additional-dnsname'),
        additionalIpAddresses: ctx.flags.list('additional-ipaddress'),
      });
      ctx.out(`==> Certificate saved to: ${out.cert}`);
      ctx.out(`==> Certificate key saved to: ${out.key}`);
      return 0;
    } catch (err) {
      return ctx.fail('Error creating the certificate', err);
    }
  },
};
