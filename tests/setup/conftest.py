"""Fixtures of the set-up tier: throwaway PostgreSQL clusters on free ports."""

import subprocess

import pytest
from test_postgresql_setup import VERSION, as_root, clusters, drop_cluster, free_port


@pytest.fixture
def port():
    """A free port; any cluster the test or the step made on it is dropped afterwards."""
    port = free_port()
    assert port not in clusters()
    yield port
    cluster = clusters().get(port)
    if cluster:
        drop_cluster(cluster[0])


@pytest.fixture
def stopped_cluster(port):
    """A new, stopped cluster on ``port``, as a fresh PostgreSQL install leaves it."""
    name = f"clinic_probe_{port}"
    subprocess.run(as_root("pg_createcluster", VERSION, name, "--port", str(port)),
                   capture_output=True, check=True)
    return name
