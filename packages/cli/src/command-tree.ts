import type { CommandGroup, CommandSpec } from './command.js';
import {
  aclAuthMethodCreateCommand,
  aclAuthMethodDeleteCommand,
  aclAuthMethodInfoCommand,
  aclAuthMethodListCommand,
  aclAuthMethodUpdateCommand,
} from './commands/acl-auth-method.js';
import {
  aclBindingRuleCreateCommand,
  aclBindingRuleDeleteCommand,
  aclBindingRuleInfoCommand,
  aclBindingRuleListCommand,
  aclBindingRuleUpdateCommand,
} from './commands/acl-binding-rule.js';
import { aclBootstrapCommand } from './commands/acl-bootstrap.js';
import { aclPolicyApplyCommand } from './commands/acl-policy-apply.js';
import { aclPolicyDeleteCommand } from './commands/acl-policy-delete.js';
import { aclPolicyInfoCommand } from './commands/acl-policy-info.js';
import { aclPolicyListCommand } from './commands/acl-policy-list.js';
import { aclPolicySelfCommand } from './commands/acl-policy-self.js';
import { aclRoleCreateCommand } from './commands/acl-role-create.js';
import { aclRoleDeleteCommand } from './commands/acl-role-delete.js';
import { aclRoleInfoCommand } from './commands/acl-role-info.js';
import { aclRoleListCommand } from './commands/acl-role-list.js';
import { aclRoleUpdateCommand } from './commands/acl-role-update.js';
import { aclTokenCreateCommand } from './commands/acl-token-create.js';
import { aclTokenDeleteCommand } from './commands/acl-token-delete.js';
import { aclTokenInfoCommand } from './commands/acl-token-info.js';
import { aclTokenListCommand } from './commands/acl-token-list.js';
import { aclTokenRenewCommand } from './commands/acl-token-renew.js';
import { aclTokenSelfCommand } from './commands/acl-token-self.js';
import { aclTokenUpdateCommand } from './commands/acl-token-update.js';
import { agentCommand } from './commands/agent.js';
import { auditHashCommand } from './commands/audit-hash.js';
import { auditVerifyCommand } from './commands/audit-verify.js';
import { loginCommand } from './commands/login.js';
import { statusCommand } from './commands/status.js';
import { tlsCaCreateCommand, tlsCertCreateCommand } from './commands/tls.js';
import { versionCommand } from './commands/version.js';

/** Every runnable command, by its words after `tollgate`. */
export const COMMANDS: readonly CommandSpec[] = [
  agentCommand,
  aclBootstrapCommand,
  aclTokenCreateCommand,
  aclTokenUpdateCommand,
  aclTokenInfoCommand,
  aclTokenSelfCommand,
  aclTokenListCommand,
  aclTokenDeleteCommand,
  aclTokenRenewCommand,
  aclPolicyApplyCommand,
  aclPolicyInfoCommand,
  aclPolicyListCommand,
  aclPolicySelfCommand,
  aclPolicyDeleteCommand,
  aclRoleCreateCommand,
  aclRoleUpdateCommand,
  aclRoleInfoCommand,
  aclRoleListCommand,
  aclRoleDeleteCommand,
  aclAuthMethodCreateCommand,
  aclAuthMethodUpdateCommand,
  aclAuthMethodInfoCommand,
  aclAuthMethodListCommand,
  aclAuthMethodDeleteCommand,
  aclBindingRuleCreateCommand,
  aclBindingRuleUpdateCommand,
  aclBindingRuleInfoCommand,
  aclBindingRuleListCommand,
  aclBindingRuleDeleteCommand,
  loginCommand,
  auditHashCommand,
  auditVerifyCommand,
  statusCommand,
  tlsCaCreateCommand,
  tlsCertCreateCommand,
  versionCommand,
];

/** The inner nodes of the tree; `''` is `tollgate` itself. */
export const GROUPS: readonly CommandGroup[] = [
  {
    name: '',
    synopsis: '',
    description:
      'Tollgate is a multi-region replicated ACL service whose API and CLI follow\n' +
      "Nomad's ACL system. Run 'tollgate <command> -h' for help on a command.",
  },
  {
    name: 'acl',
    synopsis: 'Interact with ACL policies, roles, tokens, auth methods and binding rules',
    description:
      'This command groups subcommands for interacting with ACL policies and tokens.\n' +
      'Users can bootstrap the ACL system, create policies that restrict access, and\n' +
      'generate tokens from those policies.',
  },
  {
    name: 'audit',
    synopsis: 'Find and verify audit log lines',
    description:
      'This command groups subcommands for the audit log: hash a secret to find its\n' +
      'lines, and verify that a log was not edited.',
  },
  {
    name: 'acl policy',
    synopsis: 'Interact with ACL policies',
    description: 'This command groups subcommands for interacting with ACL policies.',
  },
  {
    name: 'acl role',
    synopsis: 'Interact with ACL roles',
    description:
      'This command groups subcommands for interacting with ACL roles. ACL roles are\n' +
      'named sets of ACL policies that tokens link to.',
  },
  {
    name: 'acl auth-method',
    synopsis: 'Interact with ACL auth methods',
    description:
      'This command groups subcommands for interacting with ACL auth methods: how\n' +
      'external identities (a signed JWT, an OIDC login) become Tollgate tokens.',
  },
  {
    name: 'acl binding-rule',
    synopsis: 'Interact with ACL binding rules',
    description:
      'This command groups subcommands for interacting with ACL binding rules: which\n' +
      'roles and policies a login through an auth method gets.',
  },
  {
    name: 'acl token',
    synopsis: 'Interact with ACL tokens',
    description: 'This command groups subcommands for interacting with ACL tokens.',
  },
  {
    name: 'tls',
    synopsis: 'Generate Self Signed TLS Certificates for Tollgate',
    description:
      'This command groups subcommands for creating certificates for Tollgate TLS\n' +
      'configuration: a CA, then server, client and CLI certificates signed by it.',
  },
  {
    name: 'tls ca',
    synopsis: 'Helpers for managing CAs',
    description: 'This command groups subcommands for creating certificate authorities.',
  },
  {
    name: 'tls cert',
    synopsis: 'Helpers for managing certificates',
    description: 'This command groups subcommands for creating certificates.',
  },
];

/** The direct children of a group, sorted by word, with their synopsis. */
export function childrenOf(group: string): { word: string; synopsis: string }[] {
  const prefix = group === '' ? '' : `${group} `;
  const depth = group === '' ? 1 : group.split(' ').length + 1;
  return [...COMMANDS, ...GROUPS]
    .filter((n) => n.name.startsWith(prefix) && n.name !== '' && n.name.split(' ').length === depth)
    .map((n) => ({ word: n.name.split(' ').at(-1) as string, synopsis: n.synopsis }))
    .sort((a, b) => a.word.localeCompare(b.word));
}
