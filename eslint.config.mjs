// ESLint flat config: typescript-eslint's type-aware recommended rules for src/, ESLint's recommended
// rules for the JavaScript of tests, tools, benchmarks and examples. `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Rule settings shared by TypeScript and JavaScript files. */
const common = {
  // `_name`: a parameter an interface requires but this implementation does not use.
  'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
  // `let x; const f = () => x; ... x = ...`: a closure may run before the assignment, so it cannot be const.
  'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
};

export default tseslint.config(
  { ignores: ['dist/', '.cache/', 'node_modules/', 'test-results/', 'bench/results/'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...common,
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': common['no-unused-vars'],
      // The unwinding sentinels (kernel/exits.ts) are thrown on purpose and are not Errors: no stack to
      // capture, and nothing that handles errors mistakes them for one.
      '@typescript-eslint/only-throw-error': ['error', {
        allow: [{ from: 'file', name: ['ProcExit', 'ThreadExit', 'ThreadKilled'], path: 'src/kernel/exits.ts' }],
      }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: common,
  },
);
