import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';

/** A config section: a class whose properties are environment variable names. */
export type ConfigClass<T extends object = object> = new () => T;
export type ConfigSpec = Record<string, ConfigClass>;
export type LoadedConfig<S extends ConfigSpec> = { readonly [K in keyof S]: Readonly<InstanceType<S[K]>> };

/** Stable code CONFIG_INVALID; `problems` holds one line per bad variable, each naming it. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

function describe(error: ValidationError, env: Record<string, string | undefined>): string {
  const name = error.property;
  const raw = env[name];
  const expected = Object.values(error.constraints ?? {}).join('; ');
  return raw === undefined || raw === ''
    ? `config: ${name} is missing; expected ${expected}`
    : `config: ${name}=${JSON.stringify(raw)} is invalid; expected ${expected}`;
}

/**
 * Validates the environment once, at boot, into typed and frozen sections. After start-up no code reads
 * process.env (docs/ARCHITECTURE.md).
 */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
): LoadedConfig<S> {
  const problems: string[] = [];
  const out: Record<string, object> = {};
  for (const [section, cls] of Object.entries(spec)) {
    // Empty strings count as unset, so `FOO=` in a compose file falls back to the default.
    const present = Object.fromEntries(
      configVariables(cls)
        .map((name) => [name, env[name]] as const)
        .filter(([, v]) => v !== undefined && v !== ''),
    );
    const instance = plainToInstance(cls, present, { exposeDefaultValues: true });
    for (const error of validateSync(instance, { forbidUnknownValues: false }))
      problems.push(describe(error, env));
    out[section] = Object.freeze(instance);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as LoadedConfig<S>;
}

/** Every environment variable a config class reads (its validated property names). */
export function configVariables(cls: ConfigClass): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

/** Variables of a class that have no default and are not optional: a deployment must set them. */
export function requiredVariables(cls: ConfigClass): string[] {
  const blank = new cls() as Record<string, unknown>;
  const optional = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(cls, '', true, false)
      .filter((m) => m.type === 'conditionalValidation')
      .map((m) => m.propertyName),
  );
  return configVariables(cls).filter((name) => blank[name] === undefined && !optional.has(name));
}
