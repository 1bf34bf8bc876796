// @ts-check
/**
 * Lint config. Besides the usual TypeScript rules it carries the layering rule:
 * where a file lives decides what it may import (see README, "Layers").
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
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
    name: 'src-main (outside training)',
    files: ['src-main/**'],
    ignores: ['src-main/training/**'],
    why: 'tfjs lives only in src-main/training/',
    banned: [/^@tensorflow\//, /(^|\/)src-renderer\//, /^vue(\/|$)/],
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
  ...LAYERS.map((l) => ({
    files: l.files,
    ...(l.ignores ? { ignores: l.ignores } : {}),
    plugins: { strata },
    rules: { 'strata/layering': ['error', { layer: l.name }] },
  })),
);
