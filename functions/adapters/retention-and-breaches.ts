/**
 * The adapters of the retention purge and the breach register, loaded together on the first call that needs one
 * (composition.ts): most functions never do, and at their init these were 18 KB of every bundle.
 */
export { DynamoBreachRegister } from './dynamodb/breach-register.ts';
export { DynamoRetentionStates } from './dynamodb/retention-state.ts';
export { OwnRecordsRetention } from './dynamodb/own-records-retention.ts';
export { DynamoDbRetentionSource } from './sources/dynamodb-retention.ts';
export { HttpRetentionSource } from './sources/http-retention.ts';
