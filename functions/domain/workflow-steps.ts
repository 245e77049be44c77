/**
 * The steps of a request's workflow by their state names in the state machine (infra/constructs/workflow.ts), and
 * `workflow` for an execution that stopped outside any step. A failure names one; the operator reads it in their own
 * language (rules/messages). Acknowledge and NotifyProcessors stay while executions started on an earlier definition
 * may still fail in them.
 */
export const WORKFLOW_STEPS = [
  'Acknowledge',
  'AwaitVerification',
  'CloseUnverified',
  'PlanFulfilment',
  'RecordConsent',
  'AwaitDecision',
  'EscalateDecision',
  'ApplyDecision',
  'ApplyToSources',
  'Answer',
  'NotifyProcessors',
  'workflow',
] as const;
export type WorkflowStep = (typeof WORKFLOW_STEPS)[number];

/**
 * The error with which a used confirmation link ends the wait of a request left unticked on it (SendTaskFailure):
 * AwaitVerification catches it as it catches its timeout, and CloseUnverified closes the request.
 */
export const LEFT_UNTICKED = 'left_unticked';

/** What Step Functions says of an execution (DescribeExecution), and MISSING when there is none. */
export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE', 'MISSING'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
