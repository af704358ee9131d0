"""A LOCAL FAKE of Google's Vertex AI REST API (Vector Search and the embeddings `:predict` method), in memory.

This is not Google's service: it is a stdlib HTTP server that implements the few endpoints our adapters call, with
the request and response shapes recorded in ../shared/google-offline.md, and it records every request so that tests
can assert what the real client libraries (google-cloud-aiplatform, langchain-google-genai / google-genai) send.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class FakeGoogleState:
    project: str = "p"
    location: str = "europe-west4"
    deployed_index_id: str = "deployed_kb"
    dim: int = 768
    datapoints: dict[str, dict] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # status codes to return before answering normally

    def embed(self, text: str) -> list[float]:
        """A deterministic stand-in for text-embedding-005: hashed bag of words, so similar texts are close."""
        vector = np.zeros(self.dim, dtype=np.float64)
        for word in re.findall(r"\w+", text.lower()):
            vector[hash(word) % self.dim] += 1.0
        norm = np.linalg.norm(vector) or 1.0
        return (vector / norm * 3.0).tolist()  # not unit length: the adapter must normalise


class _Handler(BaseHTTPRequestHandler):
    state: FakeGoogleState

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.state.requests.append(Recorded("GET", self.path, None))
        path = self.path.split("?")[0]
        if match := re.fullmatch(r"/v1(?:beta1)?/(projects/[^/]+/locations/[^/]+/indexes/[^/:]+)", path):
            return self._reply(200, {"name": match[1], "displayName": "kb", "indexUpdateMethod": "STREAM_UPDATE"})
        if match := re.fullmatch(r"/v1(?:beta1)?/(projects/[^/]+/locations/[^/]+/indexEndpoints/[^/:]+)", path):
            host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
            return self._reply(
                200,
                {
                    "name": match[1],
                    "displayName": "kb-endpoint",
                    "publicEndpointDomainName": host,
                    "deployedIndexes": [{"id": self.state.deployed_index_id, "index": "x"}],
                },
            )
        self._reply(404, {"error": {"code": 404, "message": f"no route {path}", "status": "NOT_FOUND"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.state.requests.append(Recorded("POST", self.path, body))
        if self.state.fail_next:
            code = self.state.fail_next.pop(0)
            return self._reply(code, {"error": {"code": code, "message": "try later", "status": "UNAVAILABLE"}})
        path = self.path.split("?")[0]
        if path.endswith(":upsertDatapoints"):
            for point in body["datapoints"]:
                self.state.datapoints[point["datapointId"]] = point
            return self._reply(200, {})
        if path.endswith(":removeDatapoints"):
            for point_id in body["datapointIds"]:
                self.state.datapoints.pop(point_id, None)
            return self._reply(200, {})
        if path.endswith(":findNeighbors"):
            return self._reply(200, {"nearestNeighbors": [self._neighbours(q) for q in body["queries"]]})
        if path.endswith(":predict"):
            predictions = [
                {"embeddings": {"values": self.state.embed(i["content"]), "statistics": {"token_count": 3}}}
                for i in body["instances"]
            ]
            return self._reply(200, {"predictions": predictions})
        self._reply(404, {"error": {"code": 404, "message": f"no route {path}", "status": "NOT_FOUND"}})

    def _neighbours(self, query: dict) -> dict:
        """Restricts are applied while searching, as Vector Search does: a datapoint must match every namespace."""
        point = query["datapoint"]
        wanted = {r["namespace"]: set(r.get("allowList", [])) for r in point.get("restricts", [])}
        vector = np.asarray(point["featureVector"], dtype=np.float64)
        scored = []
        for point_id, stored in self.state.datapoints.items():
            tokens = {r["namespace"]: set(r.get("allowList", [])) for r in stored.get("restricts", [])}
            if all(tokens.get(ns, set()) & allowed for ns, allowed in wanted.items()):
                score = float(vector @ np.asarray(stored["featureVector"], dtype=np.float64))
                scored.append((score, point_id))
        scored.sort(reverse=True)
        neighbours = [{"datapoint": {"datapointId": pid}, "distance": s} for s, pid in scored]
        return {"id": "0", "neighbors": neighbours[: int(query.get("neighborCount", 10))]}


class FakeGoogle:
    """Runs the fake on 127.0.0.1 on a free port in a daemon thread; `url` is its base URL."""

    def __init__(self) -> None:
        self.state = FakeGoogleState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGoogle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts(self, suffix: str) -> list[Recorded]:
        return [r for r in self.state.requests if r.method == "POST" and r.path.split("?")[0].endswith(suffix)]
