/**
 * Plain `tsc -b` does not read .vue files, so it sees components through this declaration; vue-tsc
 * resolves the real files (a real file wins over a wildcard) and checks them in full.
 */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
