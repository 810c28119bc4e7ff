// Report sections fed by the behaviour model and the calibration: their rows as the report renders them.

/** One parameter of the simulated model's behaviour, as listed in the Methods table. */
export interface BehaviourParameterRow {
  /** Parameter name. */
  readonly name: string;
  /** Its value as applied. */
  readonly value: string | number;
  /** Unit of the value (`tokens`, `ms`, `%`). */
  readonly unit: string;
  /** Where the value comes from (a measurement, a document), or why it is an assumption. */
  readonly source: string;
  /** `measured` / `published` / `assumption`, as the behaviour model classifies it. */
  readonly kind: string;
}

/** One compared figure of the calibration: simulated against published. */
export interface CalibrationRow {
  /** Which run of the published source (`parallel`, `native`). */
  readonly run: string;
  /** Which request (`1`, `2`, …) or `total`. */
  readonly request: string;
  /** What is compared (`input tokens`, `output tokens`, `latency`). */
  readonly metric: string;
  /** Unit of both figures. */
  readonly unit: string;
  /** Figure the simulator produced. */
  readonly simulated: number;
  /** Figure the source published. */
  readonly published: number;
  /** `simulated / published`. */
  readonly ratio: number;
}

/** One target of the calibration and whether it is met. */
export interface CalibrationCheck {
  /** What is checked (`parallel total tokens within ±20%`). */
  readonly name: string;
  /** The figure reached, as text (`0.93x`, `−3.1 points`). */
  readonly value: string;
  /** Whether the target is met. */
  readonly pass: boolean;
}

/** The calibration section of a report. */
export interface CalibrationSection {
  /** What was replicated and where the published figures come from. */
  readonly source: string;
  /** Simulated against published, per request and in total. */
  readonly rows: readonly CalibrationRow[];
  /** Targets and whether each is met. */
  readonly checks: readonly CalibrationCheck[];
  /** Every check passed. */
  readonly pass: boolean;
}
