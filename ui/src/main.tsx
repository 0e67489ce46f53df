import { render } from 'solid-js/web';
import { App } from './app/app';
import { restoreSession } from './session/session';
import './styles.css';

void restoreSession();
render(() => <App />, document.getElementById('root') as HTMLElement);
