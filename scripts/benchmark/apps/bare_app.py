"""The ceiling: Flask alone, answering the route of the healthz scenario."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
