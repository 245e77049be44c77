import { z } from 'zod';
import { ConfigurationError, toFieldProblems } from '../../functions/domain/errors.ts';
import data from '../../rules/aws/prices.json' with { type: 'json' };

const Price = z.strictObject({ usd: z.number().nonnegative(), unit: z.string().min(1) });
const PricesSchema = z.strictObject({
  what: z.string(),
  region: z.string().min(1),
  checked: z.iso.date(),
  source: z.string().min(1),
  confidence: z.string().min(1),
  perUse: z.strictObject({
    stateTransition: Price,
    lambdaRequest: Price,
    lambdaGbSecondArm: Price,
    dynamoDbWriteUnit: Price,
    dynamoDbReadUnit: Price,
    s3WriteRequest: Price,
    s3ReadRequest: Price,
    sesMessage: Price,
    secretsManagerCall: Price,
    httpApiRequest: Price,
  }),
  monthly: z.strictObject({ kmsKey: Price, secret: Price, alarm: Price }),
});
export type Prices = z.infer<typeof PricesSchema>;

/** rules/aws/prices.json, checked. */
export function prices(): Prices {
  const parsed = PricesSchema.safeParse(data);
  if (!parsed.success) throw new ConfigurationError('rules/aws/prices.json', toFieldProblems(parsed.error.issues));
  return parsed.data;
}
