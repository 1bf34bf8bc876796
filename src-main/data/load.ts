import type { DataSource } from '../../shared/training/protocol';
import { assembleDataset, type Dataset } from './dataset';
import { makeDemoDataset } from './demo';
import { importTgsFolder } from './tgsImport';

/**
 * Loads the data a run names: the built-in synthetic demo set, or a TGS-layout folder,
 * optionally cut to its first `subset` samples by id (a deterministic subset, fingerprinted as such).
 */
export async function loadDataSource(source: DataSource): Promise<Dataset> {
  if (source.kind === 'demo') return makeDemoDataset({ count: source.count, seed: source.seed });
  const full = await importTgsFolder(source.path);
  return source.subset === undefined ? full : subsetDataset(full, source.subset);
}

/** The first `n` samples by id. */
export function subsetDataset(ds: Dataset, n: number): Dataset {
  if (n >= ds.ids.length) return ds;
  const order = ds.ids.map((id, i) => ({ id, i })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, n);
  const px = ds.height * ds.width;
  const images = new Uint8Array(n * px);
  const masks = ds.masks ? new Uint8Array(n * px) : null;
  const depths = ds.depths ? new Float64Array(n) : null;
  order.forEach(({ i }, k) => {
    images.set(ds.images.subarray(i * px, (i + 1) * px), k * px);
    masks?.set((ds.masks as Uint8Array).subarray(i * px, (i + 1) * px), k * px);
    if (depths && ds.depths) depths[k] = ds.depths[i] ?? NaN;
  });
  return assembleDataset(
    { name: `${ds.info.name} (first ${n} by id)`, source: ds.info.source.kind === 'folder' ? { ...ds.info.source, subset: n } : ds.info.source, synthetic: ds.info.synthetic, problems: ds.info.problems },
    order.map((o) => o.id),
    ds.height,
    ds.width,
    images,
    masks,
    depths,
  );
}
