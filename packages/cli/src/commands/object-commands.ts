import type { TollgateClient } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { FILTER_FLAG, JSON_FLAG, filterOption } from '../general-flags.js';

/** What the `info`, `list` and `delete` commands of one object type differ in. */
interface ObjectCommandText {
  /** `acl auth-method` */
  readonly group: string;
  /** `auth-method_name`, `acl_binding_rule_id` */
  readonly argName: string;
  /** `ACL auth method` */
  readonly noun: string;
  /** `ACL auth methods` */
  readonly plural: string;
  /** `auth-method`, `binding-rule` (for the -json help) */
  readonly jsonNoun: string;
}

/**
 * `<group> info <arg>`: reads one object and prints it (or its JSON). The
 * commands of auth methods and binding rules share it; their texts follow
 * Nomad's (`Error reading ACL auth method: …`).
 */
export function infoCommand<T>(
  t: ObjectCommandText,
  read: (client: TollgateClient, arg: string) => Promise<{ data: T }>,
  format: (data: T) => string,
): CommandSpec {
  return {
    name: `${t.group} info`,
    synopsis: `Fetch information on an existing ${t.noun}`,
    usage: `tollgate ${t.group} info [options] <${t.argName}>`,
    description: `Info is used to fetch information on an existing ${t.noun}. Requires a\nmanagement token.`,
    optionsTitle: 'ACL Info Options',
    flags: [{ ...JSON_FLAG, help: `Output the ACL ${t.jsonNoun} in a JSON format.` }],
    clientFlags: true,
    async run(ctx) {
      const arg = ctx.args[0];
      if (ctx.args.length !== 1 || arg === undefined) return ctx.usageError(`This command takes one argument: <${t.argName}>`);
      const client = ctx.client();
      if (!client) return 1;
      try {
        const { data } = await read(client, arg);
        ctx.out(ctx.flags.bool('json') ? formatJson(data) : format(data));
        return 0;
      } catch (err) {
        return ctx.fail(`Error reading ${t.noun}`, err);
      }
    },
  };
}

/** `<group> list [-filter=…]`: a table of the objects (or their JSON). */
export function listCommand<T>(
  t: ObjectCommandText,
  list: (client: TollgateClient, filter: ReturnType<typeof filterOption>) => Promise<{ data: T[] }>,
  format: (data: T[]) => string,
): CommandSpec {
  return {
    name: `${t.group} list`,
    synopsis: `List ${t.plural}`,
    usage: `tollgate ${t.group} list [options]`,
    description: `List is used to list existing ${t.plural}.`,
    optionsTitle: 'ACL List Options',
    flags: [{ ...JSON_FLAG, help: `Output the ACL ${t.jsonNoun}s in a JSON format.` }, FILTER_FLAG],
    clientFlags: true,
    async run(ctx) {
      if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
      const client = ctx.client();
      if (!client) return 1;
      try {
        const { data } = await list(client, filterOption(ctx.flags.string('filter')));
        ctx.out(ctx.flags.bool('json') ? formatJson(data) : format(data));
        return 0;
      } catch (err) {
        return ctx.fail(`Error listing ${t.plural}`, err);
      }
    },
  };
}

/** `<group> delete <arg>`: deletes one object and says so. */
export function deleteCommand(t: ObjectCommandText, remove: (client: TollgateClient, arg: string) => Promise<unknown>): CommandSpec {
  return {
    name: `${t.group} delete`,
    synopsis: `Delete an existing ${t.noun}`,
    usage: `tollgate ${t.group} delete [options] <${t.argName}>`,
    description: `Delete is used to delete an existing ${t.noun}. Requires a management\ntoken.`,
    flags: [],
    clientFlags: true,
    async run(ctx) {
      const arg = ctx.args[0];
      if (ctx.args.length !== 1 || arg === undefined) return ctx.usageError(`This command takes one argument: <${t.argName}>`);
      const client = ctx.client();
      if (!client) return 1;
      try {
        await remove(client, arg);
        ctx.out(`${t.noun} ${arg} successfully deleted`);
        return 0;
      } catch (err) {
        return ctx.fail(`Error deleting ${t.noun}`, err);
      }
    },
  };
}
