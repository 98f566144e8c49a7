// ESLint for the JavaScript outside the dashboard (frontend/ has its own config): the emulator,
// the black-box tests, the library's Node test drivers and generators, the benchmarks and scripts.
// Run by `make lint` and the lint stage of scripts/test.sh.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['frontend/**', '**/node_modules/**', 'build*/**', 'data/**'] },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Functions that puppeteer runs inside the dashboard page.
    files: ['bench/dashboard/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
];
