/**
 * The API's handlers: one per channel of the table in shared/api, each a thin call into the lab
 * service. Parameters arrive already checked against the channel's schema.
 */
import type { ApiHandlers } from '../../shared/api/channels';
import type { LabService } from './service';
import { browserShell, checkDroppedFolder, writeDesignFile, type ShellHandlers } from './shell';

/**
 * The handlers of every channel, served by `lab`. `shell` answers the native dialogs and the menu:
 * browser mode's by default, the desktop app passes its own.
 */
export function createHandlers(lab: LabService, shell: ShellHandlers = browserShell(lab.dirs)) {
  return {
    ...shell,
    checkDroppedFolder: (p) => checkDroppedFolder(p.path),
    writeDesignFile: (p) => writeDesignFile(p.path, p.arch),

    listDatasets: () => lab.listDatasets(),
    importDataset: (p) => lab.importDataset(p.path),
    removeDataset: (p) => {
      lab.removeDataset(p.id);
      return { removed: p.id };
    },
    previewSamples: (p) => lab.previewSamples(p.datasetId, p.offset, p.limit),

    listPresets: () => lab.listPresets(),
    getPreset: (p) => lab.getPreset(p.name),
    listDesigns: () => lab.listDesigns(),
    loadDesign: (p) => lab.loadDesign(p.id),
    saveDesign: (p) => lab.saveDesign(p.arch, p.id),
    validateDesign: (p) => lab.validateDesign(p.arch),
    checkDesign: (p) => lab.checkDesign(p.design),
    deleteDesign: (p) => {
      lab.deleteDesign(p.id);
      return { deleted: p.id };
    },

    listRuns: (p) => lab.listRuns(p),
    getRun: (p) => lab.getRun(p.id),
    startRun: (p) => lab.startRun(p),
    stopRun: (p) => lab.stopRun(p.id, p.reason),
    pauseRun: (p) => lab.pauseRun(p.id),
    resumeRun: (p) => lab.resumeRun(p.id),
    upsamplerResponses: (p) => lab.upsamplerResponses(p.arch, p.init, p.bnPlacement, p.seed),
    rewindRun: (p) => lab.rewindRun(p.id, p.lrFactor),
    renameRun: (p) => lab.renameRun(p.id, p.name),
    deleteRun: async (p) => {
      await lab.deleteRun(p.id);
      return { deleted: p.id };
    },
    getQueue: () => lab.getQueue(),
    getEpochMetrics: (p) => lab.epochMetrics(p.id),
    getBatchMetrics: (p) => lab.batchMetrics(p.id, p.fromStep, p.limit),
    getRunEvents: (p) => lab.runEvents(p.id),
    getPredictionEpochs: (p) => lab.predictionEpochs(p.id),
    getPredictions: (p) => lab.predictions(p.id, p.epoch, p.offset, p.limit),
    getBackendInfo: () => lab.backendInfo(),
    predictFolder: (p) => lab.folders.predict(p.id, p.path),
    listFolderPredictions: (p) => lab.folders.list(p.id),
    getFolderPredictions: (p) => lab.folders.view(p.id, p.key, p.offset, p.limit),
    exportSubmission: (p) => lab.folders.exportSubmission(p.id, p.source, p.threshold, p.path),
    estimateEpoch: (p) => lab.estimateEpoch(p),

    onRunEvent: (p, emit) => lab.onRunEvent(p.runId, emit),
    onRunsChanged: (_p, emit) => lab.onRunsChanged(emit),
  } satisfies ApiHandlers;
}
