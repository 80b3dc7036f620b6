import { clientSuite } from './suite';
import { stdioHarness } from './helpers';

clientSuite('stdio', stdioHarness);
