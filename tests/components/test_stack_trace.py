"""components/stack_trace.py: which frames of the SDK's registration stack trace are kept."""

from __future__ import annotations

from pulumi.runtime.proto import source_pb2

from components.stack_trace import OURS, trim


def trace(*uris: str) -> source_pb2.StackTrace:
    return source_pb2.StackTrace(
        frames=[source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=u, line=i + 1)) for i, u in enumerate(uris)])


def test_frames_below_our_last_are_dropped() -> None:
    ours = OURS[1]  # components/
    kept = trim(trace(f"{ours}fleet.py", "file:///x/pulumi/runtime/stack.py", f"{ours}program.py",
                      "file:///usr/lib/python3.11/asyncio/events.py", "file:///usr/lib/python3.11/threading.py"))
    assert [f.pc.uri for f in kept.frames] == [f"{ours}fleet.py", "file:///x/pulumi/runtime/stack.py",
                                              f"{ours}program.py"]


def test_the_source_position_is_kept_when_no_frame_is_ours() -> None:
    kept = trim(trace("file:///elsewhere/app.py", "file:///usr/lib/python3.11/threading.py"))
    assert [f.pc.uri for f in kept.frames] == ["file:///elsewhere/app.py"]


def test_an_empty_trace_stays_empty() -> None:
    assert list(trim(trace()).frames) == []


def test_our_packages_are_matched_as_folders() -> None:
    assert all(u.startswith("file:///") for u in OURS)
    assert not trim(trace(OURS[0].rstrip("/") + "x/a.py", "file:///b.py")).frames[1:]


def test_capture_gives_what_trimming_the_sdks_trace_gives() -> None:
    """Three nested `__init__`s stand in for Resource, CustomResource and the concrete class (the SDK's rule)."""
    import sys

    from pulumi.runtime import resource as sdk_resource

    from components.stack_trace import capture

    here = OURS[1].rsplit("/", 2)[0] + "/tests/"  # this file is not ours: only the frame count rule applies
    got: dict[str, object] = {}

    class Concrete:
        def __init__(self) -> None:
            Middle()

    class Middle:
        def __init__(self) -> None:
            Base()

    class Base:
        def __init__(self) -> None:
            got["fast"] = capture(sys._getframe(0), (here,))
            got["sdk"] = trim(getattr(sdk_resource._get_stack_trace, "__wrapped__", sdk_resource._get_stack_trace)(),
                              (here,))

    Concrete()
    fast, sdk = got["fast"], got["sdk"]
    assert isinstance(fast, source_pb2.StackTrace) and isinstance(sdk, source_pb2.StackTrace)
    assert [(f.pc.uri, f.pc.line) for f in fast.frames][1:] == [(f.pc.uri, f.pc.line) for f in sdk.frames][1:]
    assert fast.frames and fast.frames[0].pc.uri == sdk.frames[0].pc.uri


def test_the_resource_classes_frames_on_top_give_way_to_the_declaring_line() -> None:
    from types import SimpleNamespace

    from components.stack_trace import RESOURCE_CLASSES, capture

    def frame(uri: str, line: int, back: object = None, name: str = "f") -> object:
        return SimpleNamespace(f_code=SimpleNamespace(co_name=name, co_filename=uri.removeprefix("file://")),
                               f_lineno=line, f_back=back)

    program = frame(OURS[1] + "program.py", 9)
    fleet = frame(OURS[1] + "fleet.py", 7, program)
    boxes = frame(RESOURCE_CLASSES[0] + "mailbox/resource.py", 3, fleet)
    base = frame(RESOURCE_CLASSES[0] + "resource.py", 2, boxes)
    sdk = frame("/x/pulumi/dynamic.py", 1, frame("/x/pulumi/resource.py", 1, frame(
        "/x/pulumi/resource.py", 1, base, "__init__"), "__init__"), "__init__")
    got = capture(sdk)  # type: ignore[arg-type]
    assert [(f.pc.uri, f.pc.line) for f in got.frames] == [(OURS[1] + "fleet.py", 7), (OURS[1] + "program.py", 9)]
