// Lint rules, including the layer rules of docs/ARCHITECTURE.md: the domain stays pure and apps never
// import each other (enforced here, not by memory).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const infraPackages = [
  '@nestjs/*',
  '@nats-io/*',
  'cassandra-driver',
  'ioredis',
  '@aws-sdk/*',
  'pino',
  'prom-client',
  'ws',
];
const apps = ['gateway', 'projector', 'notifier', 'chatctl'];
// Frames and requests have one rule for optional fields (docs/protocol.md): absent is allowed, null is not.
const gatewayPaths = [
  {
    name: 'class-validator',
    importNames: ['IsOptional'],
    message: 'use @IsOmittable() (http/omittable.ts): @IsOptional lets null through to handlers.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**'] },
  js.configs.recommended,
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', setTimeout: 'readonly', console: 'readonly' } },
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // Not consistent-type-imports: NestJS injection needs classes imported as values for decorator metadata.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['libs/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: infraPackages, message: 'libs/domain is pure: no framework or I/O packages.' },
            { group: ['#libs/*', '!#libs/events'], message: 'libs/domain imports only libs/events.' },
            { group: ['node:*'], message: 'libs/domain does no I/O.' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/events/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...infraPackages, '#libs/*'], message: 'libs/events depends on nothing of ours.' },
          ],
        },
      ],
    },
  },
  ...apps.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: app === 'gateway' ? gatewayPaths : [],
          patterns: [
            {
              group: apps.filter((a) => a !== app).map((a) => `**/apps/${a}/**`),
              message: 'apps never import each other; share through libs/.',
            },
          ],
        },
      ],
    },
  })),
);
