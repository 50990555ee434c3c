"""Appliers: what carries the walk's object-level edits (walk_model.py) to the
speaker. The walk uses only these members of an applier:

    applier.MODES                   the ways it can apply an edit (one is picked per edit)
    applier.text_edits              whether it can apply broken documents ("raw", "rawfile" ops)
    applier.start(keys, ops)        before the speaker starts: the initial objects (ops), room
                                    for every object key the model can produce (keys)
    applier.attach(pid)             the speaker's process, once it runs
    applier.apply(ops, mode)        -> the mode it used (the speaker then reloads once)
    applier.close()

and then waits for the speaker to reload. Today the file applier (file mode);
a Kubernetes applier (kubectl apply/delete against the API server the speaker
watches) implements the same members, with one mode and text_edits False: the
API server refuses a broken document before any speaker sees it.

The file applier keeps one YAML file per object in the speaker's directory and
applies an edit in one of two modes, each making the speaker reload exactly once:
  "hup"      rewritten in place through a descriptor kept open (no inotify event:
             the directory watch has no IN_MODIFY), then SIGHUP;
  "inotify"  written atomically (a rename into the directory) or rewritten in
             place and closed, at random; the speaker's inotify watch reloads.
A file that does not exist yet cannot be written without an inotify event: every
object key gets an (empty) file at the start, "hup" deletes an object by
emptying its file, and an edit that must create a file anyway (one that an
"inotify" delete removed) is applied the "inotify" way.
"""
import json
import os
import re
import signal

from walk_model import DUPLICATE, key

PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")


# ------------------------------------------------------------------ YAML
def yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)  # a double-quoted YAML scalar: no 1.1 boolean surprises


def yaml_lines(v, indent):
    pad = "  " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            kk = k if PLAIN_KEY.match(k) else json.dumps(k)
            if isinstance(x, (dict, list)) and x:
                out.append("%s%s:" % (pad, kk))
                out += yaml_lines(x, indent + 1)
            else:
                out.append("%s%s: %s" % (pad, kk, yaml_inline(x)))
    else:
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = yaml_lines(x, indent + 1)
                out.append("%s- %s" % (pad, sub[0].lstrip()))
                out += sub[1:]
            else:
                out.append("%s- %s" % (pad, yaml_inline(x)))
    return out


def yaml_inline(x):
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    return yaml_scalar(x)


def to_yaml(obj):
    return "---\n" + "\n".join(yaml_lines(obj, 0)) + "\n"


def file_name(k):
    kind, ns, name = k
    return "%s-%s%s.yaml" % (kind.lower(), ns + "-" if ns else "", name)


# ------------------------------------------------------------------ files
class FileWriter:
    """Writes objects atomically, one file each: the oracle's copy of the configuration."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)

    def write(self, name, text):
        tmp = os.path.join(self.dir, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.dir, name))

    def remove(self, name):
        try:
            os.unlink(os.path.join(self.dir, name))
        except FileNotFoundError:
            pass

    def apply(self, ops):
        for op in ops:
            if op[0] == "put":
                self.write(file_name(key(op[1])), to_yaml(op[1]))
            elif op[0] == "delete":
                self.remove(file_name(op[1]))
            elif op[0] == "raw":
                self.write(file_name(op[1]), op[2])
            elif op[0] == "rawfile":
                self.write(op[1] + ".yaml", to_yaml(op[2]))
            elif op[0] == "rmfile":
                self.remove(op[1] + ".yaml")


class FileApplier:
    MODES = ("hup", "inotify")
    text_edits = True

    def __init__(self, directory, rng):
        self.dir = directory
        self.pid = None
        self.rng = rng
        self.fds = {}      # name -> descriptor open for writing on the file's current inode
        self.stale = []    # descriptors of replaced inodes: closing one could still be reported
        os.makedirs(directory, exist_ok=True)

    def start(self, keys, ops):
        for k in keys:
            open(self.path(file_name(k)), "w").close()
        open(self.path(DUPLICATE + ".yaml"), "w").close()
        FileWriter(self.dir).apply(ops)

    def attach(self, pid):
        self.pid = pid

    def path(self, name):
        return os.path.join(self.dir, name)

    def fd(self, name):
        if name not in self.fds:
            self.fds[name] = os.open(self.path(name), os.O_RDWR)
        return self.fds[name]

    def in_place_silently(self, name, text):
        """Written with no inotify event (the file exists)."""
        fd = self.fd(name)
        data = text.encode()
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))

    def with_event(self, name, text):
        if text is None:
            if self.rng.random() < 0.5 and os.path.exists(self.path(name)):
                self.forget(name)
                try:
                    os.unlink(self.path(name))
                except FileNotFoundError:
                    pass
                return
            text = ""
        if self.rng.random() < 0.5 or not os.path.exists(self.path(name)):
            tmp = os.path.join(self.dir, ".%s.tmp" % name)
            with open(tmp, "w") as f:
                f.write(text)
            self.forget(name)
            os.rename(tmp, self.path(name))
        else:
            with open(self.path(name), "w") as f:  # truncated and rewritten: IN_CLOSE_WRITE
                f.write(text)

    def forget(self, name):
        if name in self.fds:
            self.stale.append(self.fds.pop(name))

    def apply(self, ops, how):
        """Applies ops; returns the mode used ("hup" becomes "inotify" when a file must be created)."""
        writes = []
        for op in ops:
            if op[0] == "put":
                writes.append((file_name(key(op[1])), to_yaml(op[1])))
            elif op[0] == "delete":
                writes.append((file_name(op[1]), None))
            elif op[0] == "raw":
                writes.append((file_name(op[1]), op[2]))
            elif op[0] == "rawfile":
                writes.append((op[1] + ".yaml", to_yaml(op[2])))
            else:  # rmfile
                writes.append((op[1] + ".yaml", None))
        if how == "hup" and not all(os.path.exists(self.path(name)) for name, _ in writes):
            how = "inotify"
        for name, text in writes:
            if how == "hup":
                self.in_place_silently(name, text or "")
            else:
                self.with_event(name, text)
        if how == "hup":
            os.kill(self.pid, signal.SIGHUP)
        return how

    def close(self):
        for fd in list(self.fds.values()) + self.stale:
            os.close(fd)
        self.fds, self.stale = {}, []
