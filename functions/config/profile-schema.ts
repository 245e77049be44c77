import * as z from '../domain/schema.ts';
import { deadlineSchemas, escalationPolicySchema, SHIPPED_JURISDICTION_CODES } from '../domain/deadlines/index.ts';
import type { FieldProblem } from '../domain/errors.ts';
import { isValidIin } from '../domain/iin.ts';
import { isLocalDate } from '../domain/deadlines/local-time.ts';
import { inLanguage } from '../domain/localized.ts';
import { OWN_RECORDS } from '../domain/retention.ts';
import { NOTICE_TYPES } from '../domain/request-policy.ts';
import { LanguageSchema, RequestTypeSchema, type Language } from '../domain/request-types.ts';
import { onFirstUse } from '../domain/on-first-use.ts';

/** How a field's value is shown to the person: as it is, or as a date, a yes/no, an amount of money… */
export const FIELD_FORMATS = ['text', 'date', 'datetime', 'yesno', 'money', 'number', 'list'] as const;

/**
 * What a person may correct, and the type the new value must have. The rectification input (web form, API, the
 * operator's --change) is checked against these: see correctableFields() and checkCorrections().
 */
export const CORRECTABLE_TYPES = ['text', 'phone', 'email', 'date', 'iin'] as const;
export type CorrectableType = (typeof CORRECTABLE_TYPES)[number];

/** A jurisdiction the release ships rules for (rules/jurisdictions): the deadline engine counts by no other. */
const ShippedJurisdiction = () =>
  z.string().check(z.refine((code) => SHIPPED_JURISDICTION_CODES.includes(code), { message: `not a jurisdiction the release ships rules for (${SHIPPED_JURISDICTION_CODES.join(', ')})` }));

/**
 * The profile's schema is built on first use (the first profile parsed: `npm start`, `cdk synth`, a function's first
 * call), not when this module loads: every function imports the module for its types and helpers, and building these
 * schemas is a good part of what a cold start spends on derbes' own code.
 */
function buildProfileSchemas() {
  /** A text the person reads; one entry per language the operator answers in (checked below). */
  const LocalizedText = z.partialRecord(LanguageSchema, z.string().check(z.minLength(1)));

  /** One field of a source's records, as the person reads it in an access answer and the access package. */
  const FieldDeclaration = z.strictObject({
    label: LocalizedText,
    format: z._default(z.enum(FIELD_FORMATS), 'text'),
    /** ISO 4217 code of a `money` field, e.g. KZT. */
    currency: z.optional(z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as KZT'))),
    /** Names for the codes a field holds (e.g. "sms" → «SMS-сообщения»), per language. */
    values: z.optional(z.record(z.string(), LocalizedText)),
    /**
     * Other people's data kept in the person's records (a colleague in a staff list a business uploaded, the holder of
     * a document someone else submitted): withheld from the access answer and package, with this reason.
     */
    withheld: z.optional(z.strictObject({ reason: LocalizedText })),
    /** The person may ask to correct this field; a new value must be of this type. */
    correctable: z.optional(z.enum(CORRECTABLE_TYPES)),
  });


  const Purpose = z.strictObject({
    id: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, 'lower-case id, letters, digits and _')),
    description: LocalizedText,
    legalBasis: LocalizedText,
    version: z.string().check(z.minLength(1), z.describe('Version of the legal text the person agreed to')),
    consentTerm: z.optional(z.strictObject({ years: z.number().check(z.int(), z.positive()), autoProlong: z.boolean() })),
    marketing: z._default(z.boolean(), false),
    /** Transfer, sale or sharing with third parties: a Global Privacy Control signal opts out of it, like marketing. */
    transfer: z._default(z.boolean(), false),
  });

  /** What every data source declares, whatever kind it is. */
  const SourceCommon = {
    id: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/, 'lower-case id, letters, digits and -')),
    description: LocalizedText,
    /** Data categories held there, named for the person. */
    categories: LocalizedText,
    /** How erasure is carried out here: remove the records, or overwrite personal fields. */
    erasure: z._default(z.enum(['delete', 'anonymise']), 'delete'),
    /** Fields overwritten when erasure is `anonymise` (and the only ones a rectification may change, if set). */
    personalFields: z._default(z.array(z.string().check(z.minLength(1))), []),
    /**
     * A legal duty to keep this data (e.g. accounting law): erasure and the retention purge keep it, and the answer
     * names this basis and, where it is known, the `term` the law sets, as the person reads it ("five years after
     * the year of the payment").
     */
    legalHold: z.optional(z.strictObject({ basis: LocalizedText, term: z.optional(LocalizedText) })),
    /** A mailing list: a marketing opt-out removes the person's records here. */
    marketingList: z._default(z.boolean(), false),
    /** Labels and formats of the fields its records hold, what is withheld and what a person may correct. */
    fields: z._default(z.record(z.string().check(z.minLength(1)), FieldDeclaration), {}),
    /**
     * Purpose id → the attribute of this source's records that says the person consents to it (e.g. marketing →
     * marketingConsent). A withdrawal, or an opt-out of a marketing purpose, sets it to false, so the data says what
     * the answer says.
     */
    consentAttributes: z._default(z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1))), {}),
  };

  const DynamoDbSource = z.strictObject({
    ...SourceCommon,
    kind: z.literal('dynamodb'),
    tableName: z.string().check(z.minLength(3)),
    /** Attribute holding the person's e-mail address (the subject identifier). */
    keyAttribute: z.string().check(z.minLength(1)),
    /** Query this index instead of the table key, when the address is not the partition key. */
    indexName: z.optional(z.string().check(z.minLength(1))),
  });

  const S3Source = z.strictObject({
    ...SourceCommon,
    kind: z.literal('s3'),
    bucket: z.string().check(z.minLength(3)),
    /** Objects of one person live under `<prefix><normalised e-mail>/`. */
    prefix: z._default(z.string(), ''),
  });

  const HttpSource = z.strictObject({
    ...SourceCommon,
    kind: z.literal('http'),
    /** Base URL of the company's own service; derbes calls POST <url>/find|rectify|block|unblock|erase. */
    url: z.url(),
    /** Secrets Manager secret (name or ARN) holding the HMAC key that signs each call; the local runtime serves it from its secrets file. */
    secretName: z.string().check(z.minLength(1)),
  });

  const DataSourceSchema = z.discriminatedUnion('kind', [DynamoDbSource, S3Source, HttpSource]);

  /** Processors and recipients who must hear of rectification, blocking and erasure (GDPR Art. 19 style). */
  const Processor = z.strictObject({
    id: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/)),
    /** A company's name as written; a description ("delivery service, not named in the policy") per language. */
    name: z.union([z.string().check(z.minLength(1)), LocalizedText]),
    /** The language of the notices it is sent; the profile's default language unless set. */
    language: z.optional(LanguageSchema),
    role: z.enum(['processor', 'recipient']),
    /** What they do with the data, named for the person in an access answer. */
    purpose: LocalizedText,
    country: z.string().check(z.length(2), z.describe('ISO 3166 country code where they process the data')),
    notify: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('webhook'), url: z.url(), secretName: z.string().check(z.minLength(1)) }),
      z.strictObject({ kind: z.literal('email'), address: z.email() }),
    ]),
    /** The types it hears of: only those whose policy tells processors (REQUEST_POLICIES). */
    notifyOn: z._default(z.array(z.enum(NOTICE_TYPES)), ['rectification', 'blocking', 'unblocking', 'erasure', 'consent_withdrawal']),
  });

  const ReviewPolicy = z.enum(['automatic', 'operator']);

  /** One source's retention: records are erased (as the source's `erasure` says) this long after the date in `from`. */
  const RetentionRule = z.strictObject({
    source: z.string().check(z.minLength(1)),
    keepFor: z.strictObject({ amount: z.number().check(z.int(), z.positive()), unit: z.enum(['days', 'months', 'years']) }),
    /** Attribute holding the ISO date (or date-time in UTC) the term runs from, e.g. lastInteraction. */
    from: z.string().check(z.minLength(1)),
    /** The policy clause or law that sets the term, for the operator and the audit trail. */
    basis: LocalizedText,
    /** A record whose attribute of this name is set is kept; its value names the hold (e.g. a court case). */
    holdAttribute: z.optional(z.string().check(z.minLength(1))),
    /**
     * A global secondary index whose sort key is `from` and whose partition key holds one value for every record, so
     * expired records are a query; without one the purge scans the table a few pages per run and continues next run.
     */
    index: z.optional(z.strictObject({ name: z.string().check(z.minLength(1)), partitionAttribute: z.string().check(z.minLength(1)), partitionValue: z.string().check(z.minLength(1)) })),
  });

  const RetentionScheduleSchema = z.strictObject({
    sources: z._default(z.array(RetentionRule), []),
    /**
     * How long derbes keeps its own records of a closed request before anonymising them, from the day it closed; without
     * it, the term of rules/retention/own-records.json in force for the jurisdiction (KZ: 3 years, Civil Code Art. 178).
     */
    ownRecords: z.optional(z.strictObject({ keepFor: RetentionRule.shape.keepFor, basis: LocalizedText })),
    /** Pages of up to 100 records read per rule and run; the rest waits for the next run. */
    pagesPerRun: z._default(z.number().check(z.int(), z.positive(), z.lte(100)), 10),
  });

  /** Record attributes tried, in order, for each thing a breach notice needs about a person found in the sources. */
  const BreachRegisterSettings = z.strictObject({
    /** Regimes besides the profile's jurisdiction whose breach-notice terms also apply (e.g. EU for customers there). */
    alsoUnder: z._default(z.array(ShippedJurisdiction()), []),
    identityFields: z.prefault(
      z.strictObject({
        /** Attributes joined with spaces into the name, e.g. lastName, firstName, patronymic; the first non-empty list wins. */
        name: z._default(z.array(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))), [['lastName', 'firstName', 'patronymic'], ['name'], ['fullName']]),
        iin: z._default(z.array(z.string().check(z.minLength(1))), ['iin']),
        phone: z._default(z.array(z.string().check(z.minLength(1))), ['phone', 'mobile']),
        language: z._default(z.array(z.string().check(z.minLength(1))), ['language', 'lang']),
      }),
      {},
    ),
    /** Mails to affected people sent per run (the watch continues the rest every 15 minutes). */
    mailsPerRun: z._default(z.number().check(z.int(), z.positive(), z.lte(1000)), 50),
  });

  /** A token bucket: `burst` requests at once, refilled at `perMinute`. */
  const Bucket = z.strictObject({ burst: z.number().check(z.int(), z.gte(1)), perMinute: z.number().check(z.positive()) });

  /** Every limit has a default a real company can live with; see the README's Security section. */
  const LimitsSchema = z.strictObject({
    /** Mail to one address that has not confirmed a link (receipts with their link, closing notices), per rolling window. */
    recipientMails: z.prefault(z.strictObject({ max: z.number().check(z.int(), z.gte(1)), windowHours: z.number().check(z.positive()) }), { max: 6, windowHours: 24 }),
    /** Mail to unconfirmed addresses, all together, per clock hour; reaching it holds such mail and alerts the operator. */
    unverifiedMailsPerHour: z._default(z.number().check(z.int(), z.gte(1)), 300),
    /**
     * The share of unverifiedMailsPerHour kept for receipts of requests made by mail; the rest is kept for every other
     * channel (the web form, requests operators enter). Counted apart, so a flood of one cannot starve the other.
     */
    mailShareOfHour: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
    /**
     * Mail to unconfirmed addresses at one domain (its organisation's: a catch-all's subdomains are one), per clock
     * hour, so one catch-all domain cannot take the hour; at a shared provider (rules/intake/mail-domains.json), many
     * unrelated people, sharedProviderMailsPerHour.
     */
    recipientDomainMailsPerHour: z._default(z.number().check(z.int(), z.gte(1)), 10),
    sharedProviderMailsPerHour: z._default(z.number().check(z.int(), z.gte(1)), 40),
    /**
     * The part of each share of the hour, and of each domain's budget, only receipts mailed again after the budgets
     * withheld them may use: a flood to many addresses, at however many domains, cannot starve a person it held back.
     */
    reservedShareOfHour: z._default(z.number().check(z.gte(0), z.lt(1)), 0.2),
    /**
     * New requests by mail from one sender (the mailbox, whatever its spellings), from one sender domain, and from
     * everyone together. Mail past them is held for the operator: it makes no request and gets no receipt. A domain
     * is many people: its limit is wide, and mail a check vouches for from a shared provider (gmail.com, mail.ru,
     * rules/intake/mail-domains.json) draws on no domain bucket, so a few accounts there cannot hold everyone there.
     */
    mailRequestsPerSender: z.prefault(Bucket, { burst: 10, perMinute: 0.5 }),
    mailRequestsPerSenderDomain: z.prefault(Bucket, { burst: 60, perMinute: 5 }),
    mailRequestsInAll: z.prefault(Bucket, { burst: 200, perMinute: 60 }),
    /**
     * Replies naming a request: from one sender a check vouches for (the mailbox, whatever its spellings; any other
     * mail may carry anyone's From, and counts only as everyone else's), and to one request — the person's replies
     * and everyone else's counted apart, so a stranger's flood cannot hold back the person's. Mail past them is held
     * for the operator: nothing of it is kept with the request.
     */
    mailRepliesPerSender: z.prefault(Bucket, { burst: 10, perMinute: 0.5 }),
    mailRepliesPerRequest: z.prefault(Bucket, { burst: 20, perMinute: 0.5 }),
    /** Alerts about mail naming a request from another sender, one per request, per clock hour; past it, one digest for the hour. */
    thirdPartyAlertsPerHour: z._default(z.number().check(z.int(), z.gte(1)), 10),
    /** POST /api/requests from one client IP address. */
    requestsPerClient: z.prefault(Bucket, { burst: 10, perMinute: 0.5 }),
    /** POST /api/requests from everyone together. */
    requestsInAll: z.prefault(Bucket, { burst: 200, perMinute: 60 }),
    /** The other public POSTs (confirming a link, downloading a package) from one client IP address. */
    publicCallsPerClient: z.prefault(Bucket, { burst: 30, perMinute: 30 }),
    /** Operator API calls from one client IP address: a bucket of their own, so a public flood cannot lock operators out. */
    operatorCallsPerClient: z.prefault(Bucket, { burst: 120, perMinute: 600 }),
  });

  const OperatorProfileSchema = z
    .strictObject({
      operator: z.strictObject({
        name: LocalizedText,
        legalName: z.string().check(z.minLength(1)),
        bin: z.optional(z.string().check(z.regex(/^\d{12}$/, 'a BIN has 12 digits'))),
        contactEmail: z.email(),
        website: z.optional(z.url()),
        address: z.optional(z.string()),
      }),
      supportAddress: z.email(),
      jurisdiction: ShippedJurisdiction(),
      languages: z.array(LanguageSchema).check(z.minLength(1)),
      defaultLanguage: LanguageSchema,
      policyVersion: z.string().check(z.minLength(1)),
      policyUrl: z.optional(z.url()),
      retention: LocalizedText,
      terms: z._default(z.array(deadlineSchemas().OperatorTermSchema), []),
      purposes: z.array(Purpose).check(z.minLength(1)),
      sources: z._default(z.array(DataSourceSchema), []),
      processors: z._default(z.array(Processor), []),
      /** Where data is stored or sent outside Kazakhstan; the access answer must say so. */
      crossBorder: z.optional(z.strictObject({ countries: z.array(z.string().check(z.length(2))).check(z.minLength(1)), description: LocalizedText })),
      /** Per request type: runs by itself, or waits for an operator's decision (a claim always does). */
      review: z._default(z.partialRecord(RequestTypeSchema, ReviewPolicy), {}),
      /**
       * What withdrawing consent does to the data sources, beyond the ledger: nothing, block processing, or destroy
       * (as Vnedrah's policy says) — legal holds still keep what the law requires.
       */
      consentWithdrawal: z.prefault(z.strictObject({ sources: z.enum(['none', 'block', 'erase']) }), { sources: 'none' }),
      /** Subject lines the policy fixes for e-mailed requests, e.g. I-License's «Отзыв согласия…». */
      fixedSubjects: z._default(z.array(z.strictObject({ subject: z.string().check(z.minLength(1)), types: z.array(RequestTypeSchema).check(z.minLength(1)) })), []),
      /** Next year's transfer order or a moved holiday, without a release (see rules/calendars). */
      calendarOverrides: z.optional(z.record(z.string(), z.unknown())),
      verification: z.prefault(
        z.strictObject({
          /** How long a verification link stays valid at most (it never outlives the due date either). */
          codeTtlHours: z._default(z.number().check(z.positive(), z.lte(24 * 14)), 72),
        }),
        {},
      ),
      /**
       * When operators are reminded, and how long before the due date a person whose request is still open gets a
       * reasoned or interim answer (also when verification never came).
       */
      escalation: z.prefault(escalationPolicySchema(), { reminderFractions: [0.5], lastDayReminder: true, safetyMarginHours: 4 }),
      /** How much a stranger can make derbes do: request rates and mail to addresses that have not confirmed a link. */
      limits: z.prefault(LimitsSchema, {}),
      /**
       * Also put marketing opt-outs on SES' account-level suppression list (AWS only). SES then refuses every later
       * message to that address, derbes' own answers included, so it is off unless the operator wants it.
       */
      sesAccountSuppression: z._default(z.boolean(), false),
      /** The breach register: other regimes whose notice terms apply, and how affected people are read from the sources. */
      breaches: z.prefault(BreachRegisterSettings, {}),
      /** How long each source keeps data and from what; the scheduled purge erases what has passed its term. */
      retentionSchedule: z.prefault(RetentionScheduleSchema, {}),
      /** Evidence for the authority: how long each daily digest of the audit chains is locked against any change. */
      evidence: z.prefault(z.strictObject({ digestRetentionYears: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 5) }), {}),
      /** How the stack is deployed to AWS; the local runtime ignores it. */
      deployment: z.prefault(
        z.strictObject({
          /** The AWS region (SES must receive mail there, see rules/aws/ses-email-receiving.json); `cdk -c region=…` wins. */
          region: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-central-1'))),
          /**
           * Only one SES receipt rule set is active per region. By default the deploy refuses to replace a set that is
           * already active; true makes derbes' set the active one (the previous one is restored when the stack goes).
           */
          replaceActiveReceiptRuleSet: z._default(z.boolean(), false),
          /** Links in mail on the company's own domain (e.g. privacy.example.kz) instead of the API's URL. */
          customDomain: z.optional(
            z.strictObject({
              name: z.string().check(z.regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a host name such as privacy.example.kz')),
              /** An ACM certificate in the stack's region covering the name; without it the stack requests one (DNS validation). */
              certificateArn: z.optional(z.string().check(z.regex(/^arn:aws[\w-]*:acm:/, 'an ACM certificate ARN'))),
            }),
          ),
        }),
        {},
      ),
      /** Ships demo data (a table of sample customers) with the stack; never for production. */
      demo: z._default(z.boolean(), false),
    })
    .check(z.superRefine((profile, ctx) => {
      if (!profile.languages.includes(profile.defaultLanguage)) {
        ctx.addIssue({ code: 'custom', path: ['defaultLanguage'], message: 'must be one of languages' });
      }
      // Every text a person may read must exist in every language the operator answers in.
      const checkLocalized = (value: Partial<Record<string, string>>, path: (string | number)[]) => {
        for (const language of profile.languages) {
          if (!value[language]) ctx.addIssue({ code: 'custom', path: [...path, language], message: `missing ${language} text` });
        }
      };
      checkLocalized(profile.operator.name, ['operator', 'name']);
      checkLocalized(profile.retention, ['retention']);
      profile.purposes.forEach((purpose, i) => {
        checkLocalized(purpose.description, ['purposes', i, 'description']);
        checkLocalized(purpose.legalBasis, ['purposes', i, 'legalBasis']);
      });
      profile.sources.forEach((source, i) => {
        checkLocalized(source.description, ['sources', i, 'description']);
        checkLocalized(source.categories, ['sources', i, 'categories']);
        if (source.legalHold) checkLocalized(source.legalHold.basis, ['sources', i, 'legalHold', 'basis']);
        if (source.legalHold?.term) checkLocalized(source.legalHold.term, ['sources', i, 'legalHold', 'term']);
        for (const [field, declaration] of Object.entries(source.fields)) {
          const path = ['sources', i, 'fields', field];
          checkLocalized(declaration.label, [...path, 'label']);
          if (declaration.withheld) checkLocalized(declaration.withheld.reason, [...path, 'withheld', 'reason']);
          for (const [code, name] of Object.entries(declaration.values ?? {})) checkLocalized(name, [...path, 'values', code]);
          if (declaration.format === 'money' && !declaration.currency) ctx.addIssue({ code: 'custom', path: [...path, 'currency'], message: 'a money field names its currency' });
          if (declaration.correctable && declaration.withheld) ctx.addIssue({ code: 'custom', path: [...path, 'correctable'], message: 'a withheld field is not the person\'s to correct' });
          if (declaration.correctable && source.personalFields.length && !source.personalFields.includes(field)) {
            ctx.addIssue({ code: 'custom', path: [...path, 'correctable'], message: 'a correctable field must be one of personalFields (the only ones a rectification changes)' });
          }
        }
        for (const purposeId of Object.keys(source.consentAttributes)) {
          if (!profile.purposes.some((p) => p.id === purposeId)) {
            ctx.addIssue({ code: 'custom', path: ['sources', i, 'consentAttributes', purposeId], message: `not a purpose of this profile (${profile.purposes.map((p) => p.id).join(', ')})` });
          }
        }
      });
      // A correctable field means one thing wherever it is kept: the same type in every source.
      const types = new Map<string, CorrectableType>();
      profile.sources.forEach((source, i) => {
        for (const [field, declaration] of Object.entries(source.fields)) {
          if (!declaration.correctable) continue;
          const earlier = types.get(field);
          if (earlier && earlier !== declaration.correctable) {
            ctx.addIssue({ code: 'custom', path: ['sources', i, 'fields', field, 'correctable'], message: `is ${earlier} in another source` });
          }
          types.set(field, declaration.correctable);
        }
      });
      profile.terms.forEach((term, i) => {
        if (term.citation) checkLocalized(term.citation, ['terms', i, 'citation']);
        else ctx.addIssue({ code: 'custom', path: ['terms', i, 'citation'], message: 'how the person is told of this promise, per language' });
      });
      const ids = profile.sources.map((s) => s.id);
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['sources', i, 'id'], message: `duplicate source id ${id}` });
        // The retention of derbes' own records goes by this name in the plan and the audit trail.
        if (id === OWN_RECORDS) ctx.addIssue({ code: 'custom', path: ['sources', i, 'id'], message: `'${OWN_RECORDS}' is the name of derbes' own records; choose another` });
      });
      profile.processors.forEach((processor, i) => {
        checkLocalized(processor.purpose, ['processors', i, 'purpose']);
        if (typeof processor.name !== 'string') checkLocalized(processor.name, ['processors', i, 'name']);
      });
      if (profile.crossBorder) checkLocalized(profile.crossBorder.description, ['crossBorder', 'description']);
      profile.retentionSchedule.sources.forEach((rule, i) => {
        const source = profile.sources.find((s) => s.id === rule.source);
        if (!source) ctx.addIssue({ code: 'custom', path: ['retentionSchedule', 'sources', i, 'source'], message: `no source '${rule.source}' (known: ${ids.join(', ')})` });
        else if (source.kind === 's3') {
          ctx.addIssue({ code: 'custom', path: ['retentionSchedule', 'sources', i, 'source'], message: `the purge reads DynamoDB tables and the company's HTTP service; '${rule.source}' is an S3 object (no index to find expired records by)` });
        } else if (source.kind === 'http' && rule.index) {
          ctx.addIssue({ code: 'custom', path: ['retentionSchedule', 'sources', i, 'index'], message: `'${rule.source}' is the company's HTTP service, which finds expired records itself; an index is for DynamoDB tables` });
        }
        checkLocalized(rule.basis, ['retentionSchedule', 'sources', i, 'basis']);
      });
      if (profile.retentionSchedule.ownRecords) checkLocalized(profile.retentionSchedule.ownRecords.basis, ['retentionSchedule', 'ownRecords', 'basis']);
      const retained = profile.retentionSchedule.sources.map((r) => r.source);
      retained.forEach((id, i) => {
        if (retained.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['retentionSchedule', 'sources', i, 'source'], message: `a second rule for '${id}'` });
      });
      if (profile.review.claim === 'automatic') {
        ctx.addIssue({ code: 'custom', path: ['review', 'claim'], message: 'a claim always goes to an operator' });
      }
    }));

  return { OperatorProfileSchema, DataSourceSchema, Processor, RetentionRule, LocalizedText, FieldDeclaration };
}

type ProfileSchemas = ReturnType<typeof buildProfileSchemas>;

const profileSchemas = onFirstUse(buildProfileSchemas);

/** The operator profile's schema (see buildProfileSchemas). */
export function operatorProfileSchema(): ProfileSchemas['OperatorProfileSchema'] {
  return profileSchemas().OperatorProfileSchema;
}

export type OperatorProfile = z.infer<ProfileSchemas['OperatorProfileSchema']>;
export type DataSource = z.infer<ProfileSchemas['DataSourceSchema']>;
export type Processor = z.infer<ProfileSchemas['Processor']>;
export type RetentionRule = z.infer<ProfileSchemas['RetentionRule']>;
export type LocalizedText = z.infer<ProfileSchemas['LocalizedText']>;
export type FieldDeclaration = z.infer<ProfileSchemas['FieldDeclaration']>;

/** The domain of the support address: our Message-IDs end in it, so replies to them can be recognised. */
export function mailDomain(profile: Pick<OperatorProfile, 'supportAddress'>): string {
  return profile.supportAddress.split('@')[1]!;
}

/** Picks the text in the wanted language, else the first the operator has; a name written one way reads the same in all. */
export function localize(text: LocalizedText | string, language: Language): string {
  return inLanguage(text, language);
}

/** How a field of the sources is named to a reader: its label from the first source that declares one, else its name. */
export function fieldLabel(profile: Pick<OperatorProfile, 'sources'>, field: string, language: Language): string {
  const declared = profile.sources.map((source) => source.fields[field]).find(Boolean);
  return declared ? localize(declared.label, language) : field;
}

/** A field a person may correct: its type, and its label in each language (from the first source that declares it). */
export interface CorrectableField {
  field: string;
  type: CorrectableType;
  label: LocalizedText;
}

/** Every field the profile lets a person correct, across its sources. */
export function correctableFields(profile: Pick<OperatorProfile, 'sources'>): Map<string, CorrectableField> {
  const fields = new Map<string, CorrectableField>();
  for (const source of profile.sources) {
    for (const [field, declaration] of Object.entries(source.fields)) {
      if (declaration.correctable && !fields.has(field)) fields.set(field, { field, type: declaration.correctable, label: declaration.label });
    }
  }
  return fields;
}

const PHONE = /^\+?[0-9][0-9 ()-]{5,22}[0-9]$/;
const CORRECTION_CHECKS: Record<CorrectableType, { ok: (value: string) => boolean; expected: string; problem: (value: string) => Pick<FieldProblem, 'kind' | 'limit'> }> = {
  text: { ok: (value) => value.trim().length > 0 && value.length <= 1000, expected: 'a text of 1 to 1000 characters', problem: (value) => (value.trim() ? { kind: 'tooLong', limit: 1000 } : { kind: 'required' }) },
  phone: { ok: (value) => PHONE.test(value.trim()), expected: 'a phone number, e.g. +7 701 000 00 00', problem: () => ({ kind: 'phone' }) },
  email: { ok: (value) => z.email().safeParse(value.trim()).success, expected: 'an e-mail address', problem: () => ({ kind: 'email' }) },
  date: { ok: (value) => isLocalDate(value.trim()), expected: 'a date written YYYY-MM-DD', problem: () => ({ kind: 'date' }) },
  iin: { ok: (value) => isValidIin(value.trim()), expected: 'an IIN: 12 digits with a valid check digit', problem: () => ({ kind: 'iin' }) },
};

/**
 * Checks what a person (or an operator) asks to correct: every field must be one the profile declares correctable,
 * and every new value of that field's type. Problems name the field as `changes.<field>`; values are never echoed.
 */
export function checkCorrections(profile: Pick<OperatorProfile, 'sources'>, changes: Record<string, string>): FieldProblem[] {
  const correctable = correctableFields(profile);
  const problems: FieldProblem[] = [];
  for (const [field, value] of Object.entries(changes)) {
    const declared = correctable.get(field);
    if (!declared) {
      const known = [...correctable.keys()];
      problems.push({ field: `changes.${field}`, message: known.length ? `cannot be corrected here; correctable fields: ${known.join(', ')}` : 'this operator declares no correctable fields', kind: 'notCorrectable' });
    } else if (!CORRECTION_CHECKS[declared.type].ok(value)) {
      problems.push({ field: `changes.${field}`, message: `must be ${CORRECTION_CHECKS[declared.type].expected}`, ...CORRECTION_CHECKS[declared.type].problem(value) });
    }
  }
  return problems;
}
