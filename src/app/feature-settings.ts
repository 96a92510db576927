/**
 * The person's choices for the conversation features (src/app/config.ts keeps them), apart from
 * record-effects.ts so that the messenger's default loads with the page and the effects do not.
 */
export interface FeatureSettings {
  /** Send read receipts, and show the contact's. */
  readonly readReceipts: boolean;
  /** Send the typing indicator, and show the contact's. */
  readonly typingIndicator: boolean;
}

export const DEFAULT_FEATURE_SETTINGS: FeatureSettings = { readReceipts: true, typingIndicator: true };
