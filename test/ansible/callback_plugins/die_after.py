# Test-only: kill ansible-playbook, as a lost controller would die, right after
# the task named in $REPIN_TEST_DIE_AFTER succeeded on a host. Enabled only by
# the run.sh steps that set ANSIBLE_CALLBACK_PLUGINS to this folder.
import os
import signal

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'die_after'
    CALLBACK_NEEDS_ENABLED = False

    def v2_runner_on_ok(self, result):
        task = result._task
        if task.name == os.environ.get('REPIN_TEST_DIE_AFTER') and not task.action.endswith('include_tasks'):
            print(f'die_after: killing ansible-playbook after "{task.name}"', flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
