#!/usr/bin/env bash
# Prints the path of a Python interpreter that has Krake's own client library (PyPI krake==1.0.1) and
# nothing else, for the contract suite (test/compat). The virtualenv is project-local (.venv/krake-1.0.1,
# gitignored) and reused while test/compat/krake-requirements.txt (every package pinned) is unchanged.
# Fails loudly, never silently: no python3, no venv module, or a failed install exits non-zero.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/test/compat/krake-requirements.txt"
constraints="$root/test/compat/krake-build-constraints.txt"
venv="$root/.venv/krake-1.0.1"

# Krake 1.0.1 imports on CPython 3.8-3.10 only: on 3.11+ its dataclasses fail at import ("mutable default
# <class 'krake.data.kubernetes.ContainerHealth'> for field container_health is not allowed"). So the newest
# CPython <= 3.10 on the machine: $KRAKE_PYTHON, else python3.10/3.9/3.8 on PATH or in pyenv's versions.
find_python() {
  if [ -n "${KRAKE_PYTHON:-}" ]; then echo "$KRAKE_PYTHON"; return; fi
  local v candidate
  for v in 3.10 3.9 3.8; do
    for candidate in "$(command -v "python$v" 2>/dev/null)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v"; do
      [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1 && { echo "$candidate"; return; }
    done
  done
  return 1
}
python="$(find_python)" || {
  echo "krake-python: no CPython 3.8-3.10 found (Krake 1.0.1 does not import on 3.11+); set KRAKE_PYTHON" >&2
  exit 1
}
command -v "$python" >/dev/null 2>&1 || { echo "krake-python: $python not found" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info >= (3, 11))' || {
  echo "krake-python: $python is CPython 3.11+, on which Krake 1.0.1 does not import; give a CPython 3.8-3.10" >&2
  exit 1
}
"$python" -c 'import venv, ensurepip' 2>/dev/null || { echo "krake-python: $python has no venv/ensurepip module (apt-get install python3-venv)" >&2; exit 1; }

stamp="$(cat "$requirements" "$constraints" | sha256sum | cut -d' ' -f1)"
mkdir -p "$root/.venv"
exec 9>"$root/.venv/krake-1.0.1.lock"
flock 9
if [ "$(cat "$venv/.krake-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "krake-python: installing krake==1.0.1 into $venv (once; cached)" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  PIP_CONSTRAINT="$constraints" "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --use-pep517 \
    -r "$requirements" >&2
  "$venv/bin/python" -c 'import krake.client.kubernetes, krake.data.kubernetes' >&2
  echo "$stamp" > "$venv/.krake-stamp"
fi
echo "$venv/bin/python"
