import { DescribeActiveReceiptRuleSetCommand, SESClient, SetActiveReceiptRuleSetCommand } from '@aws-sdk/client-ses';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../logger.ts';

/** What the stack asks for: make this rule set the active one, replacing another active set only if allowed. */
interface Properties {
  RuleSetName: string;
  ReplaceActive: 'true' | 'false';
}

/** The SES calls the activation needs; a port so the decision logic is tested without AWS. */
export interface ActiveRuleSet {
  active(): Promise<string | undefined>;
  activate(name: string | undefined): Promise<void>;
}

/**
 * The physical id remembers which set was active before ours, so that deleting the stack gives the account back
 * the mail routing it had: `<our set>|<previous set or empty>`.
 */
const physicalId = (ours: string, previous: string | undefined) => `${ours}|${previous ?? ''}`;
const parsePhysicalId = (id: string) => {
  const [ours = '', previous = ''] = id.split('|');
  return { ours, previous: previous || undefined };
};

export class RuleSetRefused extends Error {
  override readonly name = 'RuleSetRefused';
}

/**
 * Create/Update: activates our rule set. Only one set is active per region and account; if another one is active,
 * the deploy stops with a clear message unless the profile says to replace it (deployment.replaceActiveReceiptRuleSet).
 * Delete: if ours is still the active set, the one that was active before comes back (or none, as before).
 */
export async function activation(event: CloudFormationCustomResourceEvent, ses: ActiveRuleSet): Promise<{ physicalResourceId: string }> {
  const props = event.ResourceProperties as unknown as Properties;
  if (event.RequestType === 'Delete') {
    const { ours, previous } = parsePhysicalId(event.PhysicalResourceId);
    if (ours && (await ses.active()) === ours) await ses.activate(previous);
    return { physicalResourceId: event.PhysicalResourceId };
  }
  const active = await ses.active();
  const current = event.RequestType === 'Update' ? event.PhysicalResourceId : undefined;
  if (active === props.RuleSetName) {
    // Already ours (an update, or a re-run): keep what we remembered of the set before us.
    return { physicalResourceId: current && parsePhysicalId(current).ours === props.RuleSetName ? current : physicalId(props.RuleSetName, undefined) };
  }
  if (active && props.ReplaceActive !== 'true') {
    throw new RuleSetRefused(
      `SES already has an active receipt rule set in this region, "${active}", and only one can be active: derbes will not replace it silently. ` +
        `Either add derbes' rule to "${active}" yourself and remove the support address from derbes' profile routing, or set "deployment": { "replaceActiveReceiptRuleSet": true } ` +
        `in the profile to make derbes' set "${props.RuleSetName}" active; "${active}" is then made active again when the stack is deleted.`,
    );
  }
  await ses.activate(props.RuleSetName);
  return { physicalResourceId: physicalId(props.RuleSetName, active) };
}

function sesRuleSets(): ActiveRuleSet {
  const ses = new SESClient({});
  return {
    active: async () => (await ses.send(new DescribeActiveReceiptRuleSetCommand({}))).Metadata?.Name,
    activate: async (name) => void (await ses.send(new SetActiveReceiptRuleSetCommand(name ? { RuleSetName: name } : {}))),
  };
}

/** CloudFormation waits for this answer at the pre-signed ResponseURL; a refusal fails the deploy with its reason. */
async function respond(event: CloudFormationCustomResourceEvent, status: 'SUCCESS' | 'FAILED', physicalResourceId: string, reason?: string): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ?? 'see the function log',
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const response = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!response.ok) throw new Error(`CloudFormation did not take the answer: HTTP ${response.status}`);
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  try {
    const { physicalResourceId } = await activation(event, sesRuleSets());
    await respond(event, 'SUCCESS', physicalResourceId);
  } catch (error) {
    logger.error('receipt rule set activation failed', { requestType: event.RequestType, errorName: (error as Error).name, errorMessage: (error as Error).message });
    // A failed Create leaves nothing active of ours: its Delete must find nothing to restore.
    const id = event.RequestType === 'Create' ? `refused|${Date.now()}` : event.PhysicalResourceId;
    await respond(event, 'FAILED', id, (error as Error).message);
  }
}
