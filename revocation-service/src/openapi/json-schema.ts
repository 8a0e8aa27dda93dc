import { z } from 'zod';

/** A JSON Schema (2020-12), as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const OPTIONS = { target: 'draft-2020-12', io: 'input' } as const;

/** Keys z.toJSONSchema adds for a standalone document, out of place inside OpenAPI. */
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/**
 * The JSON Schema of named zod schemas, for `components.schemas`: what the
 * service accepts, written once in `validation/` and described from there.
 * A schema used inside another becomes a `$ref`. `io: 'input'` describes
 * what a client sends, before transforms (`limit` is a string on the wire).
 */
export function componentSchemas(named: Readonly<Record<string, z.ZodType>>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { ...OPTIONS, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, embedded(schema as JsonSchema)]));
}

export interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header';
  readonly required?: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

/**
 * One parameter per field of a zod object (a query's or a path's). A field
 * that is one of `components` (the same zod value) becomes a `$ref` to it; a
 * field's `description` moves up to the parameter, where tools show it.
 */
export function parametersOf(
  location: 'query' | 'path',
  shape: z.ZodObject,
  components: Readonly<Record<string, z.ZodType>> = {},
): Parameter[] {
  return Object.entries(shape.shape).map(([name, field]) => {
    const optional = field.safeParse(undefined).success;
    const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
    const component = Object.entries(components).find(([, candidate]) => candidate === inner)?.[0];
    const { description, ...schema } = component === undefined ? embedded(z.toJSONSchema(field, OPTIONS) as JsonSchema) : ref(component);
    return {
      name,
      in: location,
      ...(optional && location !== 'path' ? {} : { required: true }),
      ...(typeof description === 'string' ? { description } : {}),
      schema,
    };
  });
}
