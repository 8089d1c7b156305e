import type { AclBindingRuleWriteRequest } from '@tollgate/client';
import type { CommandContext, CommandSpec } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { formatBindingRule, formatBindingRules } from '../auth-method-output.js';
import { formatJson } from '../format.js';
import { FILTER_FLAG, JSON_FLAG, filterOption } from '../general-flags.js';

/** `tollgate acl binding-rule create|update|info|list|delete`, as Nomad's (command/acl_binding_rule_*.go). */

const RULE_FLAGS: readonly FlagSpec[] = [
  { name: 'description', kind: 'string', help: 'A free form text description of the binding rule that must not exceed 256\ncharacters.' },
  { name: 'auth-method', kind: 'string', help: 'Specifies the name of the ACL authentication method that this binding rule\nis associated with.' },
  {
    name: 'selector',
    kind: 'string',
    help: 'Selector is an expression that matches against verified identity attributes\nreturned from the auth method during login (value.<name>, list.<name>).',
  },
  { name: 'bind-type', kind: 'string', help: 'Specifies adjusts how this binding rule is applied at login time. Valid\noptions are "role", "policy" and "management".' },
  { name: 'bind-name', kind: 'string', help: 'Specifies is the target of the binding; may interpolate ${value.<name>}.' },
  { ...JSON_FLAG, help: 'Output the ACL binding-rule in a JSON format.' },
];

function requestFrom(ctx: CommandContext): AclBindingRuleWriteRequest {
  const f = ctx.flags;
  const req: AclBindingRuleWriteRequest = {};
  if (f.has('description')) req.Description = f.string('description') ?? '';
  if (f.has('auth-method')) req.AuthMethod = f.string('auth-method') ?? '';
  if (f.has('selector')) req.Selector = f.string('selector') ?? '';
  if (f.has('bind-type')) req.BindType = f.string('bind-type') ?? '';
  if (f.has('bind-name')) req.BindName = f.string('bind-name') ?? '';
  return req;
}

export const aclBindingRuleCreateCommand: CommandSpec = {
  name: 'acl binding-rule create',
  synopsis: 'Create a new ACL binding rule',
  usage: 'tollgate acl binding-rule create [options]',
  description: 'Create is used to create new ACL binding rules. Requires a management token.',
  optionsTitle: 'ACL Binding Rule Create Options',
  flags: RULE_FLAGS,
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    if ((ctx.flags.string('auth-method') ?? '') === '') return ctx.usageError('ACL binding rule auth method must be specified using the -auth-method flag');
    if ((ctx.flags.string('bind-type') ?? '') === '') return ctx.usageError('ACL binding rule bind type must be specified using the -bind-type flag');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.createBindingRule(requestFrom(ctx));
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatBindingRule(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error creating ACL binding rule', err);
    }
  },
};

export const aclBindingRuleUpdateCommand: CommandSpec = {
  name: 'acl binding-rule update',
  synopsis: 'Update an existing ACL binding rule',
  usage: 'tollgate acl binding-rule update [options] <acl_binding_rule_id>',
  description: "Update is used to update an existing ACL binding rule. Flags not given keep the\nrule's current values. Requires a management token.",
  optionsTitle: 'ACL Binding Rule Update Options',
  flags: RULE_FLAGS,
  clientFlags: true,
  async run(ctx) {
    const id = ctx.args[0];
    if (ctx.args.length !== 1 || id === undefined) return ctx.usageError('This command takes one argument: <acl_binding_rule_id>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const current = (await client.readBindingRule(id)).data;
      const req = requestFrom(ctx);
      const { data } = await client.updateBindingRule({
        ID: current.ID,
        Description: req.Description ?? current.Description,
        AuthMethod: req.AuthMethod ?? current.AuthMethod,
        Selector: req.Selector ?? current.Selector,
        BindType: req.BindType ?? current.BindType,
        BindName: req.BindName ?? current.BindName,
      });
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatBindingRule(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error updating ACL binding rule', err);
    }
  },
};

export const aclBindingRuleInfoCommand: CommandSpec = {
  name: 'acl binding-rule info',
  synopsis: 'Fetch information on an existing ACL binding rule',
  usage: 'tollgate acl binding-rule info [options] <acl_binding_rule_id>',
  description: 'Info is used to fetch information on an existing ACL binding rule. Requires a\nmanagement token.',
  optionsTitle: 'ACL Info Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL binding-rule in a JSON format.' }],
  clientFlags: true,
  async run(ctx) {
    const id = ctx.args[0];
    if (ctx.args.length !== 1 || id === undefined) return ctx.usageError('This command takes one argument: <acl_binding_rule_id>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.readBindingRule(id);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatBindingRule(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error reading ACL binding rule', err);
    }
  },
};

export const aclBindingRuleListCommand: CommandSpec = {
  name: 'acl binding-rule list',
  synopsis: 'List ACL binding rules',
  usage: 'tollgate acl binding-rule list [options]',
  description: 'List is used to list existing ACL binding rules. Requires a management token.',
  optionsTitle: 'ACL List Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL binding-rules in a JSON format.' }, FILTER_FLAG],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.listBindingRules(filterOption(ctx.flags.string('filter')));
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatBindingRules(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error listing ACL binding rules', err);
    }
  },
};

export const aclBindingRuleDeleteCommand: CommandSpec = {
  name: 'acl binding-rule delete',
  synopsis: 'Delete an existing ACL binding rule',
  usage: 'tollgate acl binding-rule delete [options] <acl_binding_rule_id>',
  description: 'Delete is used to delete an existing ACL binding rule. Requires a management\ntoken.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    const id = ctx.args[0];
    if (ctx.args.length !== 1 || id === undefined) return ctx.usageError('This command takes one argument: <acl_binding_rule_id>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.deleteBindingRule(id);
      ctx.out(`ACL binding rule ${id} successfully deleted`);
      return 0;
    } catch (err) {
      return ctx.fail('Error deleting ACL binding rule', err);
    }
  },
};
