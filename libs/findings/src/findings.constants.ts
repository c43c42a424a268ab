/** The exemptions read from EXEMPTIONS_FILE at boot (an empty list without one). */
export const FILE_EXEMPTIONS = Symbol('FILE_EXEMPTIONS');
/** `() => Date`: today, for the EXEMPTION_MAX_DAYS horizon; tests pass a fixed clock. */
export const FINDINGS_CLOCK = Symbol('FINDINGS_CLOCK');
