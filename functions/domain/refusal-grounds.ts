import * as z from 'zod';
import br from '../../rules/refusal-grounds/BR.json' with { type: 'json' };
import eu from '../../rules/refusal-grounds/EU.json' with { type: 'json' };
import kz from '../../rules/refusal-grounds/KZ.json' with { type: 'json' };
import ru from '../../rules/refusal-grounds/RU.json' with { type: 'json' };
import usCa from '../../rules/refusal-grounds/US-CA.json' with { type: 'json' };
import { ConfigurationError, toFieldProblems } from './errors.ts';
import { localizedSchema } from './localized.ts';
import { onFirstUse } from './on-first-use.ts';
import { RequestTypeSchema, type Language, type RequestType } from './request-types.ts';

/**
 * Why a request may be refused, per jurisdiction: each ground in the person's words and with the article that
 * allows it, in ru, kk and en (rules/refusal-grounds/*.json). An operator refusing a request picks one of these,
 * or writes the basis out themselves; a refusal never goes out without one.
 */
const groundsFileSchema = onFirstUse(() => {
  const localized = localizedSchema();
  const ground = z.strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case id, letters, digits and -'),
    /** The request types this ground can refuse. */
    appliesTo: z.array(RequestTypeSchema).min(1),
    /** The ground as the person reads it, after «Основание:» / "Basis:". */
    text: localized,
    /** The law and article that allow the refusal. */
    citation: localized,
    source: z.string().trim().min(1),
    /** C: confirmed on a public page; S: one secondary source; U: believed, not confirmed. */
    confidence: z.enum(['C', 'S', 'U']),
  });

  return z
    .strictObject({
      jurisdiction: z.string().min(2),
      source: z.string().trim().min(1),
      grounds: z.array(ground).min(1),
    })
    .superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.grounds.forEach((ground, i) => {
        if (seen.has(ground.id)) ctx.addIssue({ code: 'custom', path: ['grounds', i, 'id'], message: `duplicate id '${ground.id}'` });
        seen.add(ground.id);
      });
    });
});

export type RefusalGround = z.infer<ReturnType<typeof groundsFileSchema>>['grounds'][number];

/** Validates one jurisdiction's grounds; every bad field is named. */
export function parseRefusalGrounds(json: unknown, source: string): RefusalGround[] {
  const parsed = groundsFileSchema().safeParse(json);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  return parsed.data.grounds;
}

const SHIPPED: Record<string, [json: unknown, file: string]> = {
  KZ: [kz, 'rules/refusal-grounds/KZ.json'],
  EU: [eu, 'rules/refusal-grounds/EU.json'],
  RU: [ru, 'rules/refusal-grounds/RU.json'],
  'US-CA': [usCa, 'rules/refusal-grounds/US-CA.json'],
  BR: [br, 'rules/refusal-grounds/BR.json'],
};
const parsed: Record<string, RefusalGround[]> = {};

/**
 * A jurisdiction's grounds, validated when first needed: a function serves one jurisdiction and would otherwise
 * validate all five at every cold start. checkRefusalGrounds validates them all where derbes starts — `cdk synth` and
 * `npm start` — so a broken file still stops a deploy and a start.
 */
function groundsOf(jurisdiction: string): RefusalGround[] {
  const shipped = SHIPPED[jurisdiction];
  if (!shipped) return [];
  return (parsed[jurisdiction] ??= parseRefusalGrounds(...shipped));
}

/** Validates every shipped jurisdiction's grounds (throws ConfigurationError naming the file and field). */
export function checkRefusalGrounds(): void {
  for (const jurisdiction of Object.keys(SHIPPED)) groundsOf(jurisdiction);
}

/** The grounds a jurisdiction allows, for the given request types (all of them when none are given). */
export function refusalGrounds(jurisdiction: string, types: readonly RequestType[] = []): RefusalGround[] {
  const grounds = groundsOf(jurisdiction);
  return types.length ? grounds.filter((g) => types.some((t) => g.appliesTo.includes(t))) : grounds;
}

export function refusalGround(jurisdiction: string, id: string): RefusalGround | undefined {
  return groundsOf(jurisdiction).find((g) => g.id === id);
}

/** How the person reads a ground: what it says, then the article. */
export function groundText(ground: RefusalGround, language: Language): string {
  return `${ground.text[language]} (${ground.citation[language]})`;
}
