/**
 * Sizes of the post-quantum primitives, in bytes, with no code attached: wire formats and storage
 * checks import these without loading the algorithms (which come with the connection code).
 * FIPS 203 Table 3 (ML-KEM-1024) and FIPS 204 Table 2 (ML-DSA-87).
 */
export const ML_KEM_1024_PUBLIC_KEY_LENGTH = 1568;
export const ML_KEM_1024_SECRET_KEY_LENGTH = 3168;
export const ML_KEM_1024_CIPHERTEXT_LENGTH = 1568;
export const ML_KEM_1024_SHARED_SECRET_LENGTH = 32;
/** d ‖ z, FIPS 203 §7.1 ML-KEM.KeyGen_internal. */
export const ML_KEM_1024_SEED_LENGTH = 64;
/** m, FIPS 203 §7.2 ML-KEM.Encaps_internal. */
export const ML_KEM_1024_RANDOMNESS_LENGTH = 32;

export const ML_DSA_87_PUBLIC_KEY_LENGTH = 2592;
export const ML_DSA_87_SECRET_KEY_LENGTH = 4896;
export const ML_DSA_87_SIGNATURE_LENGTH = 4627;
/** ξ, FIPS 204 §5.1 ML-DSA.KeyGen. */
export const ML_DSA_87_SEED_LENGTH = 32;
/** rnd, FIPS 204 §3.4 (hedged signing). */
export const ML_DSA_87_RANDOMNESS_LENGTH = 32;
/** FIPS 204 §5.2: the context string is at most 255 bytes. */
export const ML_DSA_MAX_CONTEXT_LENGTH = 255;
