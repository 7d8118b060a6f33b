# eventlet must patch the standard library before anything else is imported.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["tests.fixtures"]
