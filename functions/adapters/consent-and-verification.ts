/**
 * The consent ledger's and the verification store's adapters, one module loaded on the first call of either (see
 * functions/composition.ts). Few functions use them; at init they cost EmailIntake 6 KB, which took it over 400 KB.
 * One module, not two: as two chunks they left more shared chunks at every init, and init CPU rose 2–6 ms (21
 * interleaved rounds, 2026-12-02); as one it did not.
 */
export { DynamoConsentLedger } from './dynamodb/consent-ledger.ts';
export { DynamoVerificationStore } from './dynamodb/verification-store.ts';
