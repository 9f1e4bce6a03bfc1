/** Segment size the on-chain storage root is built over (StorageChallenges.SEGMENT_SIZE): its own module so browser code takes it without the Merkle tree. */
export const STORAGE_SEGMENT_SIZE = 4096;
