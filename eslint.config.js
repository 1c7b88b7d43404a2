// One lint config for every package: typescript-eslint's recommended rules on strict TypeScript.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      '.stack',
      '.edgeflix',
      '.venv',
      '.wrangler',
      'bench/results',
      'workers/worker-configuration.d.ts',
      'workers/edge/public/vendor',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  // Command-line scripts and benchmarks talk to a person on the terminal.
  { files: ['scripts/**', 'bench/**'], rules: { 'no-console': 'off' } },
);
