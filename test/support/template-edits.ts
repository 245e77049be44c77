import type { CfnTemplate } from '../../infra/local/template.ts';

type Statement = { Action: string | string[] };
type Resource = { Type: string; Properties?: Record<string, any> };

/** The template with one action taken out of the role policy of the function whose logical id starts with `functionPrefix`. */
export function withoutGrant(template: CfnTemplate, functionPrefix: string, action: string): CfnTemplate {
  const copy = structuredClone(template) as { Resources: Record<string, Resource> };
  const [, fn] = Object.entries(copy.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(functionPrefix))!;
  const role = fn.Properties!.Role['Fn::GetAtt'][0] as string;
  let removed = 0;
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' || !resource.Properties!.Roles.some((r: { Ref?: string }) => r.Ref === role)) continue;
    const document = resource.Properties!.PolicyDocument as { Statement: Statement[] };
    document.Statement = document.Statement.flatMap((statement) => {
      const actions = ([] as string[]).concat(statement.Action);
      if (!actions.includes(action)) return [statement];
      removed++;
      const rest = actions.filter((a) => a !== action);
      return rest.length ? [{ ...statement, Action: rest }] : [];
    });
  }
  if (!removed) throw new Error(`${functionPrefix} has no grant of ${action} to remove`);
  return copy as CfnTemplate;
}
