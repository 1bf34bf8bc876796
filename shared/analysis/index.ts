/** Design-time diagnostics: initialisation analysis, checkerboard, training detectors and cost rules. */
export * from './variance';
export * from './taps';
export * from './summands';
export * from './initAnalysis';
export * from './checkerboard';
export * from './detectors';
export * from './levelStats';
export * from './bnHealth';
export * from './cost';
