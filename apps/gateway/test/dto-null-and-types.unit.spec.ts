import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';
import { ApiError } from '../src/http/api-error.js';
import { validateDto } from '../src/http/validate-body.js';
// Loads every controller and frame handler, and so every DTO class a request or frame is validated by.
import '../src/gateway.module.js';

type Dto = new () => object;

// class-transformer keeps @Type() (the element class of a nested array) in a storage it does not export.
const { defaultMetadataStorage } = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as {
  defaultMetadataStorage: {
    findTypeMetadata(target: Dto, property: string): { typeFunction: () => Dto } | undefined;
  };
};

const storage = getMetadataStorage();
// class-validator's registry of every class that declared rules; DTOs are the classes named *Dto.
const registered = (storage as unknown as { validationMetadatas: Map<unknown, unknown> }).validationMetadatas;
const DTOS = [...registered.keys()].filter((k): k is Dto => typeof k === 'function' && /Dto$/.test(k.name));

interface Field {
  readonly name: string;
  readonly optional: boolean;
  readonly metas: readonly ValidationMetadata[];
  readonly designType: unknown;
  readonly nested?: Dto;
}

function fieldsOf(cls: Dto): Field[] {
  const metas = storage.getTargetValidationMetadatas(cls, '', true, false);
  const names = [...new Set(metas.map((m) => m.propertyName))];
  return names.map((name) => {
    const own = metas.filter((m) => m.propertyName === name);
    const isNested = own.some((m) => m.type === 'nestedValidation');
    return {
      name,
      optional: own.some((m) => m.type === 'conditionalValidation'),
      metas: own,
      designType: Reflect.getMetadata('design:type', cls.prototype, name),
      ...(isNested ? { nested: defaultMetadataStorage.findTypeMetadata(cls, name)?.typeFunction() } : {}),
    };
  });
}

const rule = (f: Field, name: string, each?: boolean): ValidationMetadata | undefined =>
  f.metas.find((m) => m.name === name && (each === undefined || m.each === each));

/** A value the field's own rules accept: the grammar a client reads off the DTO. */
function validValue(f: Field): fc.Arbitrary<unknown> {
  const element = (each: boolean): fc.Arbitrary<unknown> => {
    const matches = rule(f, 'matches', each);
    if (matches) return fc.stringMatching(matches.constraints[0] as RegExp);
    const isIn = rule(f, 'isIn', each);
    if (isIn) return fc.constantFrom(...(isIn.constraints[0] as unknown[]));
    if (f.nested) return record(f.nested);
    const min = rule(f, 'min')?.constraints[0] as number | undefined;
    const max = rule(f, 'max')?.constraints[0] as number | undefined;
    if (rule(f, 'isInt')) return fc.integer({ min: min ?? -1e6, max: max ?? 1e6 });
    if (rule(f, 'isNumber')) return fc.double({ min: min ?? -1e6, max: max ?? 1e6, noNaN: true });
    if (rule(f, 'isBoolean')) return fc.boolean();
    if (rule(f, 'isIso8601')) return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    if (rule(f, 'isUrl')) return fc.constant('https://push.example.com/endpoint');
    const length = rule(f, 'isLength')?.constraints as [number, number] | undefined;
    const maxLength = rule(f, 'maxLength')?.constraints[0] as number | undefined;
    return fc.string({
      minLength: length?.[0] ?? 0,
      maxLength: Math.min(length?.[1] ?? maxLength ?? 40, 40),
    });
  };
  if (!rule(f, 'isArray')) return element(false);
  const minItems = (rule(f, 'arrayMinSize')?.constraints[0] as number | undefined) ?? 0;
  return fc.array(element(true), { minLength: minItems, maxLength: minItems + 3 });
}

/** Any JSON value, with a bias to the ones a careless or hostile client sends. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constantFrom('', ' ', 0, -1, 1.5, true, false, [], {}, [null], { a: null }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** An object over the DTO's fields: each one valid, null, junk or left out. */
function record(cls: Dto): fc.Arbitrary<Record<string, unknown>> {
  const fields = fieldsOf(cls).filter((f) => !rule(f, 'equals'));
  const model = Object.fromEntries(
    fields.map((f) => [
      f.name,
      fc.oneof({ weight: 4, arbitrary: validValue(f) }, { weight: 1, arbitrary: junk }),
    ]),
  );
  return fc.record(model, { requiredKeys: [] });
}

const TYPE_OF = new Map<unknown, string>([
  [String, 'string'],
  [Number, 'number'],
  [Boolean, 'boolean'],
]);

/** Fails when a validated DTO holds a value its declared TypeScript type does not allow. */
function assertDeclaredTypes(cls: Dto, value: object, path: string): void {
  assert.ok(value instanceof cls, `${path}: not a ${cls.name}`);
  const fields = fieldsOf(cls);
  for (const key of Object.keys(value))
    assert.ok(
      fields.some((f) => f.name === key),
      `${path}.${key}: not declared by ${cls.name}`,
    );
  for (const f of fields) {
    const v = (value as Record<string, unknown>)[f.name];
    const at = `${path}.${f.name}`;
    if (v === undefined) {
      assert.ok(f.optional, `${at}: required but absent`);
      continue;
    }
    assert.notEqual(v, null, `${at}: null reached the handler (declared ${String(f.designType)})`);
    if (f.designType === Array) {
      assert.ok(Array.isArray(v), `${at}: not an array`);
      for (const [i, item] of v.entries()) {
        if (f.nested) assertDeclaredTypes(f.nested, item as object, `${at}[${i}]`);
        else assert.equal(typeof item, 'string', `${at}[${i}]: not a string`);
      }
    } else if (f.nested) assertDeclaredTypes(f.nested, v as object, at);
    else if (TYPE_OF.has(f.designType)) {
      assert.equal(typeof v, TYPE_OF.get(f.designType), `${at}: ${JSON.stringify(v)}`);
      if (typeof v === 'number') assert.ok(Number.isFinite(v), `${at}: not finite`);
    } else assert.fail(`${at}: a declared type this test does not know (${String(f.designType)})`);
  }
}

describe('request and frame DTOs: optional means absent, never null', () => {
  test('the DTO registry holds every frame and request DTO', () => {
    const names = DTOS.map((d) => d.name);
    for (const expected of ['SyncDto', 'SendMessageDto', 'HistoryDto', 'CreateUploadDto', 'MuteDto'])
      assert.ok(names.includes(expected), `${expected} not registered (${names.join(', ')})`);
  });

  test('every optional field is declared with the one mechanism that validates null', () => {
    for (const cls of DTOS)
      for (const f of fieldsOf(cls).filter((x) => x.optional)) {
        const condition = f.metas.find((m) => m.type === 'conditionalValidation')!.constraints[0] as (
          o: object,
          v: unknown,
        ) => boolean;
        assert.equal(
          condition({ [f.name]: null }, null),
          true,
          `${cls.name}.${f.name} skips its rules for null`,
        );
        assert.equal(condition({}, undefined), false, `${cls.name}.${f.name} is not omittable`);
      }
  });

  for (const cls of DTOS) {
    test(`${cls.name}: null in each optional field is VALIDATION_FAILED naming it`, () => {
      const fields = fieldsOf(cls);
      const required = fields.filter((f) => !f.optional);
      const base = fc.sample(fc.record(Object.fromEntries(required.map((f) => [f.name, validValue(f)]))), {
        numRuns: 1,
        seed: 7,
      })[0]!;
      for (const f of fields.filter((x) => x.optional)) {
        assert.throws(
          () => validateDto(cls, { ...base, [f.name]: null }),
          (err: unknown) =>
            err instanceof ApiError &&
            err.code === 'VALIDATION_FAILED' &&
            (err.details?.fields as Array<{ field: string }>).some((x) => x.field === f.name),
          `${cls.name}.${f.name}: null was accepted`,
        );
      }
    });

    test(`${cls.name}: whatever passes validation has exactly its declared types (fuzzed)`, () => {
      fc.assert(
        fc.property(record(cls), (input) => {
          let dto: object;
          try {
            dto = validateDto(cls, input);
          } catch (err) {
            // Refused input must be refused with the stable code, never with anything else.
            assert.ok(err instanceof ApiError && err.code === 'VALIDATION_FAILED', String(err));
            return;
          }
          assertDeclaredTypes(cls, dto, cls.name);
        }),
        { numRuns: 300 },
      );
    });
  }
});
