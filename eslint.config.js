// @ts-check
/**
 * Lint config. Besides the usual TypeScript rules it carries the layering rule:
 * where a file lives decides what it may import (see README, "Layers").
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import { builtinModules } from 'node:module';

const NODE = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Each layer: the folders it covers and the module specifiers it may not import. */
export const LAYERS = [
  {
    name: 'shared',
    files: ['shared/**'],
    why: 'shared/ runs in every process and may import only plain TypeScript (and zod)',
    banned: [
      ...NODE,
      /^node:/,
      /^electron(\/|$)/,
      /^vue(\/|$)/,
      /^pinia(\/|$)/,
      /^@vue(-flow)?\//,
      /^echarts(\/|$)/,
      /^@tensorflow\//,
      /^better-sqlite3$/,
      /^ws$/,
      /^fast-png$/,
      /(^|\/)src-(main|renderer)\//,
    ],
  },
  {
    name: 'src-renderer',
    files: ['src-renderer/**'],
    why: 'the renderer talks to the lab only through the API in shared/',
    banned: [...NODE, /^node:/, /^electron(\/|$)/, /^@tensorflow\//, /^better-sqlite3$/, /^ws$/, /(^|\/)src-main\//],
  },
  {
    // Listed after src-renderer so its options win for these files: the renderer's bans, plus Vue.
    name: 'src-renderer/workflows',
    files: ['src-renderer/workflows/**'],
    why: 'workflows are pure reducers over plain data; Vue and Pinia stay in stores and components',
    banned: [...NODE, /^node:/, /^electron(\/|$)/, /^@tensorflow\//, /^better-sqlite3$/, /^ws$/, /(^|\/)src-main\//, /^vue(\/|$)/, /^pinia(\/|$)/, /^@vue(-flow)?\//, /\.vue$/],
  },
  {
    name: 'src-main (outside training)',
    files: ['src-main/**'],
    ignores: ['src-main/training/**'],
    why: 'tfjs lives only in src-main/training/',
    banned: [/^@tensorflow\//, /(^|\/)src-renderer\//, /^vue(\/|$)/],
  },
  {
    // Listed after 'src-main (outside training)' so its options win for these files: those bans, plus Electron.
    name: 'src-main/lab',
    files: ['src-main/lab/**'],
    why: 'the lab and its transports (IPC included) run without Electron; src-main/electron/ passes in what they need',
    banned: [/^@tensorflow\//, /(^|\/)src-renderer\//, /^vue(\/|$)/, /^electron(\/|$)/, /(^|\/)electron\/[^/]+$/],
  },
  {
    name: 'src-main/training',
    files: ['src-main/training/**'],
    why: 'the training side never reaches into the renderer',
    banned: [/(^|\/)src-renderer\//, /^vue(\/|$)/, /^electron(\/|$)/],
  },
];

/** @param {string} spec @param {(string|RegExp)[]} banned */
function isBanned(spec, banned) {
  return banned.some((b) => (typeof b === 'string' ? b === spec : b.test(spec)));
}

/** @type {import('eslint').Rule.RuleModule} */
const layeringRule = {
  meta: {
    type: 'problem',
    schema: [{ type: 'object', properties: { layer: { type: 'string' } }, additionalProperties: false }],
    messages: { banned: "Layer '{{layer}}' may not import '{{spec}}': {{why}}." },
  },
  create(context) {
    const layer = LAYERS.find((l) => l.name === context.options[0]?.layer);
    if (!layer) return {};
    /** @param {import('estree').Node} node @param {unknown} value */
    const check = (node, value) => {
      if (typeof value === 'string' && isBanned(value, layer.banned)) {
        context.report({ node, messageId: 'banned', data: { layer: layer.name, spec: value, why: layer.why } });
      }
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'Literal') {
          check(n, n.arguments[0].value);
        }
      },
    };
  },
};

const strata = { rules: { layering: layeringRule } };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', '.tsbuild/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Vue single-file components: vue-eslint-parser for the template, typescript-eslint for <script lang="ts">.
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module', extraFileExtensions: ['.vue'] },
    },
    rules: {
      // vue-tsc checks names in .vue files with the DOM types; the core rule knows no browser globals.
      'no-undef': 'off',
      // Dense lab UI: several short attributes on one line read better than one per line.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': ['error', { html: { void: 'always', normal: 'never', component: 'always' } }],
    },
  },
  // The layer patterns cover .vue files too: 'src-renderer/**' matches them once the block above lints them.
  ...LAYERS.map((l) => ({
    files: l.files,
    ...(l.ignores ? { ignores: l.ignores } : {}),
    plugins: { strata },
    rules: { 'strata/layering': ['error', { layer: l.name }] },
  })),
);
