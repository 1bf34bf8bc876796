/** Segmentation metrics and chart helpers, pure TypeScript on typed arrays. */
export * from './errors';
export * from './probs';
export * from './iou';
export * from './competition';
export * from './overlay';
export * from './smoothing';
export * from './seedGroups';
export * from './postprocess';
export * from './tDistribution';
export * from './groupComparison';
