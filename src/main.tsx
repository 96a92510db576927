import { render } from 'solid-js/web';
import { App } from './ui/App';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('The page is missing its #root element.');
render(() => <App />, root);
