import { render } from 'solid-js/web';
import { App } from './app/app';
import { restoreSession } from './session/session';

void restoreSession();
// The first render in a task of its own, after the one evaluating the modules: neither holds the page for long.
setTimeout(() => render(() => <App />, document.getElementById('root') as HTMLElement), 0);
