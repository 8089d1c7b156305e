import type { VNode } from 'preact';
import { AuthMethodDetailPage } from './pages/auth-method-detail';
import { AuthMethodFormPage } from './pages/auth-method-form';
import { AuthMethodsPage } from './pages/auth-methods';
import { BindingRuleDetailPage } from './pages/binding-rule-detail';
import { BindingRuleFormPage } from './pages/binding-rule-form';
import { BindingRulesPage } from './pages/binding-rules';
import { PlaygroundPage } from './pages/playground';
import { PoliciesPage } from './pages/policies';
import { PolicyDetailPage } from './pages/policy-detail';
import { PolicyEditorPage } from './pages/policy-editor';
import { RegionsPage } from './pages/regions';
import { RoleDetailPage } from './pages/role-detail';
import { RoleFormPage } from './pages/role-form';
import { RolesPage } from './pages/roles';
import { SignInPage } from './pages/sign-in';
import { TokenDetailPage } from './pages/token-detail';
import { TokenFormPage } from './pages/token-form';
import { TokensPage } from './pages/tokens';

/** One route of the UI. */
export interface PageDef {
  /** `/tokens/:id`: segments starting with `:` are parameters. */
  readonly pattern: string;
  /** Shown in the navigation when set (list pages). */
  readonly nav?: string;
  readonly render: (params: Record<string, string>) => VNode;
}

/**
 * Every page, one list: an object type is a list page (with `nav`), a
 * detail page and a form — a file per page and a line each.
 */
export const PAGES: readonly PageDef[] = [
  { pattern: '/tokens', nav: 'Tokens', render: () => <TokensPage /> },
  { pattern: '/tokens/new', render: () => <TokenFormPage /> },
  { pattern: '/tokens/:id', render: (p) => <TokenDetailPage id={p.id!} /> },
  { pattern: '/tokens/:id/edit', render: (p) => <TokenFormPage id={p.id!} /> },
  { pattern: '/policies', nav: 'Policies', render: () => <PoliciesPage /> },
  { pattern: '/policies/new', render: () => <PolicyEditorPage /> },
  { pattern: '/policies/:name', render: (p) => <PolicyDetailPage name={p.name!} /> },
  { pattern: '/policies/:name/edit', render: (p) => <PolicyEditorPage name={p.name!} /> },
  { pattern: '/roles', nav: 'Roles', render: () => <RolesPage /> },
  { pattern: '/roles/new', render: () => <RoleFormPage /> },
  { pattern: '/roles/:id', render: (p) => <RoleDetailPage id={p.id!} /> },
  { pattern: '/roles/:id/edit', render: (p) => <RoleFormPage id={p.id!} /> },
  { pattern: '/auth-methods', nav: 'Auth methods', render: () => <AuthMethodsPage /> },
  { pattern: '/auth-methods/new', render: () => <AuthMethodFormPage /> },
  { pattern: '/auth-methods/:name', render: (p) => <AuthMethodDetailPage name={p.name!} /> },
  { pattern: '/auth-methods/:name/edit', render: (p) => <AuthMethodFormPage name={p.name!} /> },
  { pattern: '/binding-rules', nav: 'Binding rules', render: () => <BindingRulesPage /> },
  { pattern: '/binding-rules/new', render: () => <BindingRuleFormPage /> },
  { pattern: '/binding-rules/:id', render: (p) => <BindingRuleDetailPage id={p.id!} /> },
  { pattern: '/binding-rules/:id/edit', render: (p) => <BindingRuleFormPage id={p.id!} /> },
  { pattern: '/regions', nav: 'Regions', render: () => <RegionsPage /> },
  { pattern: '/playground', nav: 'Check playground', render: () => <PlaygroundPage /> },
  { pattern: '/sign-in', render: () => <SignInPage /> },
];
