/** The renderer's entry: connects to the lab, then mounts the app (or says why it cannot). */
// First: zod must be told before any schema is built that the page's CSP allows no eval.
import './zodConfig';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import NotConnected from './components/NotConnected.vue';
import { connectLab } from './api/index';
import { setLab } from './api/labContext';
import './styles/theme.css';

const connection = connectLab();
if (connection) {
  setLab(connection);
  createApp(App).use(createPinia()).mount('#app');
} else {
  createApp(NotConnected).mount('#app');
}
