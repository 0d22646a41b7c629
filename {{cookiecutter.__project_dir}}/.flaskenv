# Read by `flask` (python-dotenv) in development; gunicorn does not read it.
FLASK_APP={{ cookiecutter.package_name }}
APP_ENV=development
