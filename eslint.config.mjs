// Lint: strict where bugs hide (floating promises, type-only imports,
// focused tests, layer-breaking deep imports), quiet about style, which
// the TypeScript compiler and review already cover.
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Where async bugs and import mistakes hide; every TypeScript file gets these.
const typedRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
  '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
};

export default tseslint.config(
  { ignores: ['**/dist/**', 'packages/ui/vite.config.ts', '**/node_modules/**', 'packages/server/src/generated/**', 'packages/filter/src/generated/**', 'coverage/**', '.lab/**'] },
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'test-e2e/**/*.ts'],
    extends: [tseslint.configs.base],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.check.json' })],
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      ...typedRules,
      // Any import cycle fails lint, type-only imports included (a type cycle
      // is a design cycle: split an interface into its own file instead).
      'import-x/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@tollgate/*/src/*', '@tollgate/*/dist/*'], message: 'Import a package through its public index.' }] },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests (.only) in the tree.' },
      ],
    },
  },
  {
    // The browser UI: the same rules, type-checked with its own tsconfig (DOM, JSX).
    files: ['packages/ui/src/**/*.{ts,tsx}'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { project: './packages/ui/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: typedRules,
  },
);
