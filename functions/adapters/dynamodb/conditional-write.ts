import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** Sends a conditional write: its result, or undefined if its condition did not hold; any other error propagates. */
export async function ifConditionHolds<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Sends a conditional write: whether it was made. */
export async function written(write: Promise<unknown>): Promise<boolean> {
  return (await ifConditionHolds(write.then(() => true))) ?? false;
}
