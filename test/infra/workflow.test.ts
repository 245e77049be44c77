import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRANSIENT_ERROR_CODES } from '../../functions/domain/errors.ts';
import { WORKFLOW_STEPS } from '../../functions/domain/workflow-steps.ts';
import { DEFAULT_RETRY_POLICY } from '../../functions/adapters/http/signed-post.ts';
import { AFTER_NOTICES_MS } from '../../functions/use-cases/fulfilment.ts';
import { ENTRY_METADATA } from '../../infra/constructs/derbes-function.ts';
import { FUNCTION_CRASH_ERRORS, LAMBDA_TRANSIENT_ERRORS } from '../../infra/constructs/workflow.ts';
import { functionArn, LocalTemplate } from '../../infra/local/template.ts';
import { appTemplate } from '../support/app-template.ts';

// asl-validator is CommonJS with a default-function export.
const validateAsl = createRequire(import.meta.url)('asl-validator') as (definition: unknown, options?: { checkPaths: boolean; checkArn: boolean }) => {
  isValid: boolean;
  errors: Array<{ message: string; path?: string }>;
};

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxAttempts?: number;
  MaxDelaySeconds?: number;
}
interface State {
  Type: string;
  Next?: string;
  Retry?: Retrier[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Choices?: Array<{ Variable: string; StringEquals?: string; Next: string }>;
  ResultPath?: string;
  ItemsPath?: string;
  Default?: string;
  ItemProcessor?: { States: Record<string, State> };
  Result?: unknown;
  TimeoutSecondsPath?: string;
  Parameters?: Record<string, unknown>;
  Resource?: string;
  TimeoutSeconds?: number;
}
interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

let definition: Definition;
/** Each derbes function's logical id and time-out in seconds, by its entry file. */
let functions: Map<string, { logicalId: string; timeoutSeconds: number }>;

beforeAll(async () => {
  const { template } = await appTemplate('cdk.out.workflow-test');
  functions = new Map(
    Object.entries(template.Resources as Record<string, { Type: string; Metadata?: Record<string, string>; Properties: { Timeout: number } }>)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[ENTRY_METADATA])
      .map(([logicalId, r]) => [r.Metadata![ENTRY_METADATA]!, { logicalId, timeoutSeconds: r.Properties.Timeout }]),
  );
  definition = new LocalTemplate(template, 'http://localhost:3000').stateMachine().definition as unknown as Definition;
});

/** Every state, nested Map iterations included, with the States object it lives in. */
function allStates(states: Record<string, State>): Array<[string, State, Record<string, State>]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state, states] as [string, State, Record<string, State>],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor.States) : []),
  ]);
}

describe('the synthesized state machine', () => {
  it('is valid Amazon States Language (asl-validator)', () => {
    const { isValid, errors } = validateAsl(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(errors.map((e) => `${e.path ?? ''} ${e.message}`)).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('retries every task on Lambda\'s and derbes\' transient errors with exponential back-off', () => {
    const tasks = allStates(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(9);
    for (const [name, task] of tasks) {
      const retriers = task.Retry ?? [];
      const covering = (errors: readonly string[]) => retriers.find((r) => errors.every((e) => r.ErrorEquals.includes(e)));
      for (const [what, errors] of [['Lambda', LAMBDA_TRANSIENT_ERRORS], ['derbes', TRANSIENT_ERROR_CODES], ['crash', FUNCTION_CRASH_ERRORS]] as const) {
        const retrier = covering(errors);
        expect(retrier, `${name} retries ${what} errors`).toBeDefined();
        expect(retrier!.MaxAttempts, `${name} ${what}`).toBeGreaterThanOrEqual(1);
        if (what !== 'crash') expect(retrier!.BackoffRate, `${name} backs off on ${what} errors`).toBeGreaterThan(1);
      }
      expect(LAMBDA_TRANSIENT_ERRORS).toContain('Lambda.TooManyRequestsException');
      // States.Timeout of a callback wait is an outcome (CloseUnverified, EscalateDecision), never retried.
      expect(retriers.some((r) => r.ErrorEquals.includes('States.Timeout'))).toBe(false);
    }
  });

  it('lets every task run longer than its function, so a function that times out fails as a crash the task retries', () => {
    const invoking = allStates(definition.States).filter(([, s]) => s.Type === 'Task' && s.Resource?.includes(':function:'));
    expect(invoking.map(([name]) => name)).toContain('Answer');
    for (const [name, task] of invoking) {
      const fn = [...functions.values()].find(({ logicalId }) => task.Resource === functionArn(logicalId));
      expect(fn, `${name} invokes a derbes function`).toBeDefined();
      expect(task.TimeoutSeconds, name).toBeGreaterThan(fn!.timeoutSeconds);
    }
  });

  it("gives the notices' functions time for one whole webhook attempt beyond what they keep for the answer", () => {
    const answer = functions.get('functions/handlers/workflow/answer.ts')!;
    expect(allStates(definition.States).filter(([, s]) => s.Resource === functionArn(answer.logicalId)).map(([name]) => name)).toEqual(['Answer']);
    // The function that told processors before the Answer step did runs on for executions started then.
    for (const entry of ['functions/handlers/workflow/answer.ts', 'functions/handlers/workflow/notify-processors.ts']) {
      expect(functions.get(entry)!.timeoutSeconds * 1000, entry).toBeGreaterThanOrEqual(AFTER_NOTICES_MS + DEFAULT_RETRY_POLICY.timeoutMs);
    }
  });

  it('catches everything else on every task: top-level failures go to NeedsAttention and resume at the failed step', () => {
    const states = definition.States;
    expect(states.NeedsAttention?.Type).toBe('Task');
    const resumeAt = states.ResumeAt!;
    for (const [name, state, scope] of allStates(states)) {
      if (state.Type !== 'Task' && state.Type !== 'Map') continue;
      const catchers = state.Catch ?? [];
      const last = catchers.at(-1);
      expect(last?.ErrorEquals, `${name} catches States.ALL last`).toEqual(['States.ALL']);
      if (name === 'NeedsAttention') {
        expect(states[last!.Next]?.Type).toBe('Fail');
      } else if (scope !== states) {
        // A source that keeps failing is recorded; the answer names it and the operator is alerted.
        expect(scope[last!.Next]?.Type, `${name} records a failed source`).toBe('Pass');
      } else {
        const marker = states[last!.Next]!;
        expect(marker).toMatchObject({ Type: 'Pass', Result: name, Next: 'NeedsAttention' });
        expect(resumeAt.Choices, `ResumeAt leads back to ${name}`).toContainEqual(expect.objectContaining({ Variable: '$.Payload.failedStep', StringEquals: name, Next: name }));
      }
    }
    expect(states.NeedsAttention!.Next).toBe('ResumeAt');
    expect(states[resumeAt.Default!]?.Type).toBe('Fail');
    // The operator's alert names the failed step in their language: every step a failure can name has its name.
    const named: readonly string[] = WORKFLOW_STEPS;
    for (const choice of resumeAt.Choices ?? []) expect(named, `a name for the step ${choice.StringEquals}`).toContain(choice.StringEquals);
  });

  it('takes every request through the wait for verification, with no choice before it', () => {
    const { States, StartAt } = definition;
    // It starts there: the verification step moves the request and mails the receipt, with no step before it.
    expect(StartAt).toBe('AwaitVerification');
    expect(States.Acknowledge).toBeUndefined();
    expect(Object.values(States).filter((s) => s.Next === 'AwaitVerification' || s.Choices?.some((c) => c.Next === 'AwaitVerification'))).toEqual([States.ResumeAt]);
    // Its timeout and the link's expiry come in the execution's input (see startWorkflow), where each engine reads them.
    expect(States.AwaitVerification).toMatchObject({ TimeoutSecondsPath: '$.Payload.verificationTimeoutSeconds' });
    expect(States.AwaitVerification!.Parameters).toMatchObject({ Payload: { 'verificationExpiresAt.$': '$.Payload.verificationExpiresAt', 'verificationTimeoutSeconds.$': '$.Payload.verificationTimeoutSeconds' } });
    // A request that began as it was confirmed goes to the sources in its input (its consent recorded first where the
    // input says so); any other is planned first. Every field is tested for presence before its value, so a release
    // or an input without it takes the default instead of failing the Choice.
    expect(States.AwaitVerification).toMatchObject({ ResultPath: '$.Payload.verification', Next: 'BegunOnConfirmation' });
    const begun = [
      { Variable: '$.Payload.verification.begun', IsPresent: true },
      { Variable: '$.Payload.sourceIds', IsPresent: true },
      { Variable: '$.Payload.recordsConsent', IsPresent: true },
      { Variable: '$.Payload.verification.begun', BooleanEquals: true },
    ];
    expect(States.BegunOnConfirmation).toEqual({
      Type: 'Choice',
      Choices: [
        { And: [{ And: begun }, { Variable: '$.Payload.recordsConsent', BooleanEquals: true }], Next: 'RecordConsent' },
        { And: begun, Next: 'ApplyToSources' },
      ],
      Default: 'PlanFulfilment',
    });
    // RecordConsent is the planning function's other entry, chosen by the definition, never by a release.
    expect(States.RecordConsent).toMatchObject({ Resource: States.PlanFulfilment!.Resource, Parameters: { 'requestId.$': '$.requestId', begun: true }, Next: 'ApplyToSources' });
    expect(States.ApplyToSources).toMatchObject({ ItemsPath: '$.Payload.sourceIds', Next: 'Answer' });
    // A request found unfit to answer (a forged release) or needing a source not run on (a profile changed since the
    // start) is planned again, before any catch-all.
    expect(States.Answer!.Catch![0]).toMatchObject({ ErrorEquals: ['not_permitted', 'plan_outdated'], Next: 'PlanFulfilment' });
    expect(States.RecordConsent!.Catch![0]).toMatchObject({ ErrorEquals: ['not_permitted'], Next: 'PlanFulfilment' });
    // Only the operator's resumption after a failure leads there another way, and a wait that ended as the person
    // confirmed: CloseUnverified says so, and the request is fulfilled, not closed.
    const otherWays = Object.entries(States).filter(([name, s]) => name !== 'ResumeAt' && (s.Next === 'PlanFulfilment' || s.Choices?.some((c) => c.Next === 'PlanFulfilment') || s.Default === 'PlanFulfilment'));
    expect(otherWays.map(([name]) => name).sort()).toEqual(['BegunOnConfirmation', 'ConfirmedAsWaitEnded']);
    expect(States.CloseUnverified).toMatchObject({ ResultPath: '$.Payload.closing', Next: 'ConfirmedAsWaitEnded' });
    expect(States.ConfirmedAsWaitEnded).toMatchObject({
      Choices: [{ Variable: '$.Payload.closing.confirmed', BooleanEquals: true, Next: 'PlanFulfilment' }],
      Default: 'ClosedUnverified',
    });
    expect(States.ClosedUnverified).toMatchObject({ Type: 'Succeed' });
  });

  it('ends the execution of mail an operator closed as not a request at a state of its own, after the decision is applied, testing for the field before reading it', () => {
    const approved = definition.States.Approved!;
    expect(definition.States.ApplyDecision!.Next).toBe('Approved');
    expect(approved.Choices).toEqual([
      { Variable: '$.Payload.decision.approved', BooleanEquals: true, Next: 'ApplyToSources' },
      { And: [{ Variable: '$.Payload.decision.notARequest', IsPresent: true }, { Variable: '$.Payload.decision.notARequest', BooleanEquals: true }], Next: 'NotARequest' },
    ]);
    expect(approved.Default).toBe('Refused');
    expect(definition.States.NotARequest).toEqual({ Type: 'Succeed' });
  });

  it('keeps the specific outcomes of a callback wait ahead of the catch-all', () => {
    expect(definition.States.AwaitVerification!.Catch!.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      // A request left unticked on its used link ends its wait with left_unticked: closed as a wait that timed out.
      [['States.Timeout', 'left_unticked'], 'CloseUnverified'],
      [['States.ALL'], 'AwaitVerificationFailed'],
    ]);
    expect(definition.States.AwaitDecision!.Catch![0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'EscalateDecision' });
  });
});
