"""Dagster types: built-in checks, custom types, resolution of Python annotations, registration."""

# The typing forms (typing.List[int], typing.Optional[str], ...) are test data here.
# ruff: noqa: UP006, UP007, UP045

from __future__ import annotations

import logging
import pickle
import typing
from fractions import Fraction
from types import SimpleNamespace

import pytest

from notebook_pipelines import config
from notebook_pipelines.config import convert_to_config_type, validate_config
from notebook_pipelines.definitions.serialization import PickleSerializationStrategy
from notebook_pipelines.definitions.types import (
    TYPE_CHECK_OK,
    Any,
    Bool,
    DagsterType,
    DagsterTypeKind,
    Dict,
    Float,
    Int,
    List,
    Nothing,
    Optional,
    PythonObjectDagsterType,
    Set,
    String,
    Tuple,
    check_dagster_type,
    dagster_type_loader,
    dagster_type_materializer,
    input_hydration_config,
    make_python_type_usable_as_dagster_type,
    resolve_dagster_type,
    usable_as_dagster_type,
)
from notebook_pipelines.errors import (
    DagsterInvalidConfigDefinitionError,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
)
from notebook_pipelines.user_events import EventMetadataEntry, TypeCheck

T = typing.TypeVar("T")
CTX = SimpleNamespace(log=logging.getLogger("tests"), resources=SimpleNamespace(), run_id="r")


def failure(dagster_type: DagsterType, value: object) -> str:
    result = dagster_type.type_check(CTX, value)
    assert isinstance(result, TypeCheck)
    assert not result.success
    assert result.description is not None
    return result.description


# --- built-in scalars ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dagster_type", "good", "bad"),
    [
        (Int, [0, -3, 10**30], [True, 1.0, "1", None]),
        (Float, [1.5, 2, Fraction(1, 3)], [True, "1.5", None]),
        (String, ["", "abc"], [b"abc", 1, None]),
        (Bool, [True, False], [0, 1, "True", None]),
        (Any, [None, 1, object(), [1]], []),
        (Nothing, [None], [0, "", [], False]),
    ],
)
def test_builtin_scalar_checks(dagster_type: DagsterType, good: list, bad: list) -> None:
    for value in good:
        assert dagster_type.type_check(CTX, value) is TYPE_CHECK_OK, value
    for value in bad:
        assert not dagster_type.type_check(CTX, value).success, value


def test_scalar_failure_messages_name_value_and_types() -> None:
    assert failure(Int, "abc") == 'Value "abc" of python type "str" must be a int.'
    assert failure(Int, True) == 'Value "True" of python type "bool" must be a int.'
    assert failure(Float, "x") == 'Value "x" of python type "str" must be a float.'
    assert failure(String, 3) == 'Value "3" of python type "int" must be a string.'
    assert failure(Bool, 1) == 'Value "1" of python type "int" must be a bool.'
    assert "must be None" in failure(Nothing, 5)


def test_long_values_are_shortened_in_messages() -> None:
    message = failure(Int, "x" * 500)
    assert len(message) < 150
    assert "..." in message


def test_builtin_identity_and_kinds() -> None:
    assert (Int.name, Int.key, Int.display_name) == ("Int", "Int", "Int")
    assert Int.is_scalar and Int.is_builtin and not Int.is_any
    assert Any.is_any and Any.kind is DagsterTypeKind.ANY
    assert Nothing.is_nothing and Nothing.loader is None
    assert Int.required_resource_keys == frozenset()
    assert isinstance(Int.serialization_strategy, PickleSerializationStrategy)
    for t in (Int, Float, String, Bool, Any, Nothing):
        assert pickle.loads(pickle.dumps(t)) is t


def test_scalars_and_any_are_usable_as_config_schemas() -> None:
    assert convert_to_config_type(Int, where="test") is config.Int
    assert convert_to_config_type(String, where="test") is config.String
    assert convert_to_config_type(Any, where="test") is config.Any
    assert convert_to_config_type({"n": Int, "f": Float}, where="test").kind == "shape"
    result = validate_config(convert_to_config_type({"n": Int}, where="test"), {"n": "x"})
    assert not result.success


# --- collections ---------------------------------------------------------------------------------


def test_list() -> None:
    assert List.display_name == "List[Any]" and List[Any] is List
    assert List[Int] is List[Int] is List[int] is resolve_dagster_type(list[int])
    assert List[Int].display_name == "List[Int]"
    assert List[Int].name is None and List[Int].key == "List.Int"
    assert List[Int].is_list and List[Int].supports_fan_in
    assert List[Int].get_inner_type_for_fan_in() is Int
    assert List[Int].type_check(CTX, [1, 2]) is TYPE_CHECK_OK
    assert List.type_check(CTX, [1, "a"]) is TYPE_CHECK_OK
    assert failure(List[Int], [1, 2, "x"]) == (
        'List item at index 2: Value "x" of python type "str" must be a int.'
    )
    assert failure(List[Int], (1, 2)) == 'Value "(1, 2)" of python type "tuple" must be a list.'
    assert failure(List[List[Int]], [[1], [2, None]]) == (
        "List item at index 1: List item at index 1: "
        'Value "None" of python type "NoneType" must be a int.'
    )
    assert List[List[Int]].inner_types == (List[Int], Int)


def test_list_reports_first_failure_of_user_type_returning_typechecks() -> None:
    positive = DagsterType(
        lambda _, v: TypeCheck(v > 0, None if v > 0 else f"{v} is not positive"), name="Positive"
    )
    assert List[positive].type_check(CTX, [1, 2]).success
    assert failure(List[positive], [1, -1, -2]) == "List item at index 1: -1 is not positive"


def test_optional() -> None:
    assert Optional[String].display_name == "Optional[String]"
    assert Optional[String] is Optional[str] is resolve_dagster_type(typing.Optional[str])
    assert resolve_dagster_type(str | None) is Optional[String]
    assert Optional[String].is_nullable
    assert Optional[String].type_check(CTX, None) is TYPE_CHECK_OK
    assert Optional[String].type_check(CTX, "a") is TYPE_CHECK_OK
    assert failure(Optional[String], 1) == 'Value "1" of python type "int" must be a string.'
    assert Optional[Optional[Int]] is Optional[Int]
    assert Optional[Int].inner_types == (Int,)
    with pytest.raises(DagsterInvalidDefinitionError, match="Optional needs an inner type"):
        resolve_dagster_type(Optional, 'input "x" of solid "s"')
    with pytest.raises(DagsterInvalidDefinitionError, match="Optional\\[Nothing\\]"):
        Optional[Nothing]


def test_dict() -> None:
    assert Dict.display_name == "Dict" and Dict.name == "Dict"
    assert resolve_dagster_type(dict) is Dict is Dict[Any, Any]
    typed = Dict[String, Int]
    assert typed is Dict[str, int] is resolve_dagster_type(dict[str, int])
    assert typed.display_name == "Dict[String, Int]" and typed.inner_types == (String, Int)
    assert typed.type_check(CTX, {"a": 1}) is TYPE_CHECK_OK
    assert failure(typed, {"a": 1, "b": "2"}) == (
        'Dict value at key "b": Value "2" of python type "str" must be a int.'
    )
    assert failure(typed, {1: 1}).startswith('Dict key "1": ')
    assert failure(Dict, [1]) == 'Value "[1]" of python type "list" must be a dict.'
    with pytest.raises(DagsterInvalidDefinitionError, match="key type and a value type"):
        Dict[String]


def test_typed_dict_key_and_loader() -> None:
    class NoLoader:
        pass

    typed = Dict[str, str]
    assert typed.key == "TypedPythonDict.String.String"
    assert typed.key_type is String and typed.value_type is String
    assert Dict.key == "Dict"
    assert typed.loader is not None and Dict[String, Any].loader is not None
    # config can give the values only if their type loads from config; non-string keys never
    assert Dict[str, NoLoader].loader is None
    assert Dict[int, int].loader is None


def test_set() -> None:
    assert Set.display_name == "Set" and resolve_dagster_type(set) is Set is Set[Any]
    assert Set[Int] is resolve_dagster_type(set[int]) is resolve_dagster_type(typing.Set[int])
    assert Set[Int].display_name == "Set[Int]"
    assert Set[Int].type_check(CTX, {1, 2}) is TYPE_CHECK_OK
    assert failure(Set[Int], {"a"}) == 'Set item "a": Value "a" of python type "str" must be a int.'
    assert failure(Set, [1]).endswith("must be a set.")


def test_tuple() -> None:
    assert Tuple.display_name == "Tuple" and resolve_dagster_type(tuple) is Tuple
    pair = Tuple[Int, String]
    assert (
        pair
        is resolve_dagster_type(tuple[int, str])
        is resolve_dagster_type(typing.Tuple[int, str])
    )
    assert pair.display_name == "Tuple[Int, String]"
    assert pair.type_check(CTX, (1, "a")) is TYPE_CHECK_OK
    assert failure(pair, (1, 2)) == (
        'Tuple item at index 1: Value "2" of python type "int" must be a string.'
    )
    assert failure(pair, (1,)) == "Tuple (1,) has 1 items; Tuple[Int, String] needs 2."
    many = resolve_dagster_type(tuple[int, ...])
    assert many is Tuple[Int, ...] and many.display_name == "Tuple[Int, ...]"
    assert many.type_check(CTX, (1, 2, 3)) is TYPE_CHECK_OK
    assert failure(many, (1, "x")).startswith("Tuple item at index 1: ")
    with pytest.raises(DagsterInvalidDefinitionError, match="one type per item"):
        Tuple[Int, ..., String]


def test_collection_types_pickle_to_the_same_objects() -> None:
    for t in (
        List,
        List[Int],
        Optional[String],
        Dict,
        Dict[String, Int],
        Set,
        Set[Int],
        Tuple,
        Tuple[Int, String],
        Tuple[Int, ...],
        List[Optional[Dict[String, List[Int]]]],
    ):
        assert pickle.loads(pickle.dumps(t)) is t, t
    assert pickle.loads(pickle.dumps(Optional)) is Optional


# --- user-defined types --------------------------------------------------------------------------


def test_dagster_type_normalises_check_results() -> None:
    even = DagsterType(lambda _, v: v % 2 == 0, name="Even", description="an even int")
    assert even.type_check(CTX, 2) is TYPE_CHECK_OK
    assert failure(even, 3) == (
        'Value "3" of python type "int" failed the type check of Dagster type "Even".'
    )
    entry = EventMetadataEntry.text("odd", "why")
    rich = DagsterType(lambda _, v: TypeCheck(False, "nope", (entry,)), name="Rich")
    assert rich.type_check(CTX, 1) == TypeCheck(False, "nope", (entry,))
    weird = DagsterType(lambda _, v: "yes", name="Weird")
    assert failure(weird, 1) == (
        'The type check function of Dagster type "Weird" returned yes (a str) instead of a '
        "TypeCheck or a bool."
    )
    assert failure(DagsterType(lambda _, v: None, name="N"), 1).startswith(
        'The type check function of Dagster type "N" returned None'
    )


def test_type_check_exceptions_propagate_and_context_is_passed_through() -> None:
    seen = []

    def check(context: object, value: object) -> bool:
        seen.append(context)
        raise ValueError("boom")

    t = DagsterType(check, name="Boom")
    with pytest.raises(ValueError, match="boom"):
        t.type_check(CTX, 1)
    assert seen == [CTX]


def test_dagster_type_properties() -> None:
    @dagster_type_loader(int, required_resource_keys={"db"})
    def load(_context: object, value: int) -> int:
        return value

    @dagster_type_materializer(str, required_resource_keys={"s3"})
    def write(_context: object, _config: str, _value: object) -> None:
        return None

    t = DagsterType(
        lambda _, v: True,
        key="my.Thing",
        name="Thing",
        description="a thing",
        loader=load,
        materializer=write,
        required_resource_keys={"x"},
    )
    assert (t.key, t.name, t.display_name, t.description) == (
        "my.Thing",
        "Thing",
        "Thing",
        "a thing",
    )
    assert t.loader is load and t.materializer is write
    assert t.required_resource_keys == {"x", "db", "s3"}
    assert t.kind is DagsterTypeKind.REGULAR and not t.is_builtin
    assert not t.supports_fan_in and t.inner_types == ()
    anonymous = DagsterType(lambda _, v: True, key="only.key")
    assert anonymous.name is None and anonymous.display_name == "only.key"
    older = DagsterType(lambda _, v: True, name="Old", input_hydration_config=load)
    assert older.loader is load
    assert input_hydration_config is dagster_type_loader


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a name"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": "T", "loader": "x"}, '"T": loader must be made with @dagster_type_loader'),
        ({"name": "T", "materializer": 1}, "materializer must be made with"),
        ({"name": "T", "serialization_strategy": pickle}, "must be a SerializationStrategy"),
        ({"name": "T", "required_resource_keys": "db"}, "got the string 'db'"),
    ],
)
def test_dagster_type_definition_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match=message):
        DagsterType(lambda _, v: True, **kwargs)


def test_dagster_type_loader_and_older_name_together_is_an_error() -> None:
    loader = dagster_type_loader(int)(lambda _c, v: v)
    with pytest.raises(DagsterInvalidDefinitionError, match="not both"):
        DagsterType(lambda _, v: True, name="T", loader=loader, input_hydration_config=loader)


def test_type_check_fn_must_take_context_and_value() -> None:
    def one(value: object) -> bool:
        return True

    with pytest.raises(DagsterInvalidDefinitionError) as info:
        DagsterType(one, name="Bad")  # type: ignore[arg-type]
    assert 'The type_check_fn of Dagster type "Bad"' in str(info.value)
    assert "(context, value)" in str(info.value)
    with pytest.raises(DagsterInvalidDefinitionError, match="must be a function"):
        DagsterType("nope", name="Bad")  # type: ignore[arg-type]
    DagsterType(lambda *args: True, name="Varargs")  # accepted


def test_python_object_dagster_type() -> None:
    class Frame:
        pass

    t = PythonObjectDagsterType(Frame)
    assert t.name == "Frame" and t.python_type is Frame
    assert t.type_check(CTX, Frame()) is TYPE_CHECK_OK
    assert failure(t, "abc") == 'Value "abc" of python type "str" must be a Frame.'
    number = PythonObjectDagsterType((int, float), name="Number")
    assert number.type_check(CTX, 1.5) is TYPE_CHECK_OK
    assert failure(number, "1") == 'Value "1" of python type "str" must be one of int, float.'
    assert PythonObjectDagsterType((int, str)).name == "Union[int, str]"
    assert PythonObjectDagsterType(int, name="MyInt", description="d").description == "d"
    for bad in (3, (), (int, 3)):
        with pytest.raises(DagsterInvalidDefinitionError, match="PythonObjectDagsterType needs"):
            PythonObjectDagsterType(bad)  # type: ignore[arg-type]


# --- resolution ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, Int),
        (float, Float),
        (str, String),
        (bool, Bool),
        (list, List),
        (typing.List, List),
        (typing.Any, Any),
        (None, Any),
        (type(None), Nothing),
        (typing.List[int], List[Int]),
        (list[list[str]], List[List[String]]),
        (typing.Optional[int], Optional[Int]),
        (int | None, Optional[Int]),
        (typing.Union[None, int], Optional[Int]),
        (typing.Dict, Dict),
        (typing.Dict[str, list[int]], Dict[String, List[Int]]),
        (typing.Annotated[int, "meta"], Int),
        (Optional[Int], Optional[Int]),
    ],
)
def test_resolve_python_annotations(annotation: object, expected: DagsterType) -> None:
    assert resolve_dagster_type(annotation, "test") is expected


def test_resolve_plain_class_gives_a_cached_isinstance_type() -> None:
    class Model:
        pass

    t = resolve_dagster_type(Model, 'input "m"')
    assert isinstance(t, PythonObjectDagsterType)
    assert t is resolve_dagster_type(Model)
    assert t.name == "Model" and t.key == f"{__name__}.{Model.__qualname__}"
    assert t.type_check(CTX, Model()) is TYPE_CHECK_OK
    assert failure(t, 1) == 'Value "1" of python type "int" must be a Model.'
    assert resolve_dagster_type(list[Model]) is List[t]


def test_resolve_unions_of_classes_and_other_generics() -> None:
    t = resolve_dagster_type(int | str)
    assert t.type_check(CTX, "a") is TYPE_CHECK_OK and not t.type_check(CTX, 1.0).success
    maybe = resolve_dagster_type(int | str | None)
    assert maybe.is_nullable and maybe.type_check(CTX, None).success
    frozen = resolve_dagster_type(frozenset[int])
    assert frozen.type_check(CTX, frozenset()).success and not frozen.type_check(CTX, set()).success
    with pytest.raises(DagsterInvalidDefinitionError, match="plain classes"):
        resolve_dagster_type(list[int] | str, "output x")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (5, "5 \\(of python type int\\) is neither a Dagster type nor a Python type"),
        ("Int", "'Int' \\(of python type str\\)"),
        ([int], "\\[<class 'int'>\\] \\(of python type list\\)"),
        (config.Int, "is a config type"),
        (config.Shape({"a": int}), "is a config type"),
        (PythonObjectDagsterType, "is a DagsterType class; pass an instance"),
        (typing.Literal["a"], "neither a Dagster type"),
        (list[T], "type variable"),  # type: ignore[valid-type]
    ],
)
def test_resolve_errors_name_where_and_what(obj: object, message: str) -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match=message) as info:
        resolve_dagster_type(obj, 'input "x" of solid "adder"')
    text = str(info.value)
    assert 'Invalid Dagster type for input "x" of solid "adder": ' in text
    # what is no type at all keeps the reference's sentence first, then says where
    no_type = obj is not PythonObjectDagsterType and typing.get_origin(obj) is not list
    if no_type:
        assert text.startswith("Invalid type: dagster_type must be DagsterType, a python scalar")
    else:
        assert text.startswith('Invalid Dagster type for input "x" of solid "adder": ')


def test_usable_as_dagster_type_bare_and_with_arguments() -> None:
    @usable_as_dagster_type
    class Plain:
        pass

    loader = dagster_type_loader(str)(lambda _c, v: Named())

    @usable_as_dagster_type(name="NamedThing", description="named", loader=loader)
    class Named:
        pass

    plain = resolve_dagster_type(Plain)
    assert plain.name == "Plain" and plain.type_check(CTX, Plain()) is TYPE_CHECK_OK
    named = resolve_dagster_type(Named)
    assert (named.name, named.description, named.loader) == ("NamedThing", "named", loader)
    assert failure(named, 1) == 'Value "1" of python type "int" must be a Named.'
    assert resolve_dagster_type(typing.List[Named]) is List[named]
    with pytest.raises(DagsterInvalidDefinitionError, match="decorates a class"):
        usable_as_dagster_type(name="x")(len)


def test_make_python_type_usable_as_dagster_type() -> None:
    class Frame:
        pass

    auto = resolve_dagster_type(Frame)
    listed = resolve_dagster_type(list[Frame])
    frame_type = DagsterType(lambda _, v: isinstance(v, Frame), name="DataFrame")
    make_python_type_usable_as_dagster_type(Frame, frame_type)
    assert resolve_dagster_type(Frame) is frame_type is not auto
    assert resolve_dagster_type(list[Frame]) is List[frame_type] is not listed
    # re-running the notebook cell: a new type object with the same key replaces it
    again = DagsterType(lambda _, v: isinstance(v, Frame), name="DataFrame")
    make_python_type_usable_as_dagster_type(Frame, again)
    assert resolve_dagster_type(Frame) is again
    other = DagsterType(lambda _, v: True, name="Other")
    with pytest.raises(
        DagsterInvalidDefinitionError, match='already usable as Dagster type "DataFrame"'
    ):
        make_python_type_usable_as_dagster_type(Frame, other)
    with pytest.raises(DagsterInvalidDefinitionError, match="built-in Dagster type Int"):
        make_python_type_usable_as_dagster_type(int, other)
    with pytest.raises(DagsterInvalidDefinitionError, match="needs a class"):
        make_python_type_usable_as_dagster_type(Frame(), other)  # type: ignore[arg-type]
    with pytest.raises(DagsterInvalidDefinitionError, match="needs a DagsterType"):
        make_python_type_usable_as_dagster_type(Frame, int)  # type: ignore[arg-type]


def test_check_dagster_type() -> None:
    assert check_dagster_type(int, 1).success
    assert check_dagster_type(List[Int], [1, "a"]).description == (
        'List item at index 1: Value "a" of python type "str" must be a int.'
    )
    assert check_dagster_type(typing.Optional[str], None).success
    contexts: list[object] = []

    def remember(context: object, _value: object) -> bool:
        contexts.append(context)
        return True

    seen = DagsterType(remember, name="Seen")
    check_dagster_type(seen, 1)
    assert hasattr(contexts[0], "log") and hasattr(contexts[0], "resources")
    needs = DagsterType(lambda _, v: True, name="Needs", required_resource_keys={"db"})
    with pytest.raises(DagsterInvariantViolationError, match="needs the resources \\['db'\\]"):
        check_dagster_type(needs, 1)


def test_dagster_types_work_as_string_annotations() -> None:
    # Under `from __future__ import annotations`, typing.get_type_hints evaluates the strings;
    # Python 3.10 accepts only callables there, hence DagsterType.__call__ (which refuses).
    namespace: dict[str, object] = {
        "List": List,
        "Int": Int,
        "Optional": Optional,
        "String": String,
    }
    exec(
        "from __future__ import annotations\n"
        "def f(context, x: List[Int], y: Optional[String] = None) -> Int: ...\n",
        namespace,
    )
    hints = typing.get_type_hints(namespace["f"])
    resolved = {name: resolve_dagster_type(hint, name) for name, hint in hints.items()}
    assert resolved == {"x": List[Int], "y": Optional[String], "return": Int}
    with pytest.raises(TypeError, match='"Int" is not callable'):
        Int(3)


def test_calling_a_dagster_type_reads_as_pythons_not_callable() -> None:
    # the reference's Dict (a DagsterDictApi) was callable before 0.7; its users match this text
    with pytest.raises(TypeError, match=r"^'DagsterDictApi' object is not callable: ") as raised:
        Dict({"foo": int})
    assert 'Dagster type "Dict" is not callable; use type_check(context, value).' in str(
        raised.value
    )
    with pytest.raises(TypeError, match=r"^'_ListType' object is not callable"):
        List[Int]()
    assert pickle.loads(pickle.dumps(Dict)) is Dict


@pytest.mark.parametrize(
    ("dagster_type", "lead"),
    [
        (
            List[Int],
            "Cannot use List in the context of config. Please use a python list (e.g. [int]) or "
            "dagster.Array (e.g. Array(int)) instead. You have passed an instance of DagsterType "
            "List.Int to the config system.",
        ),
        (List, "Cannot use List in the context of config."),
        (
            Optional[Int],
            "You have passed an instance of DagsterType Optional.Int to the config system. "
            "Dagster types check the values solids pass each other; config is described by "
            "config types. For a config value that may be None, use Noneable(...)",
        ),
        (
            Dict[String, Int],
            "You have passed an instance of DagsterType TypedPythonDict.String.Int",
        ),
        (
            DagsterType(lambda _, v: True, name="Mine"),
            "You have passed an instance of DagsterType Mine to the config system.",
        ),
    ],
)
def test_a_dagster_type_as_config_schema_says_so_first(dagster_type: object, lead: str) -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError) as raised:
        convert_to_config_type({"a": dagster_type}, where='solid "s" config_schema')
    message = str(raised.value)
    assert message.startswith(lead)
    assert 'Invalid config schema for solid "s" config_schema at ["a"]: got <DagsterType' in message


def test_python_object_types_pickle() -> None:
    restored = pickle.loads(pickle.dumps(resolve_dagster_type(PickledThing)))
    assert restored.display_name == "PickledThing"
    assert restored.type_check(CTX, PickledThing()) is TYPE_CHECK_OK
    assert not restored.type_check(CTX, 1).success
    listed = pickle.loads(pickle.dumps(List[resolve_dagster_type(PickledThing)]))
    assert listed.type_check(CTX, [PickledThing()]).success


class PickledThing:
    """A module-level class, so that its auto type pickles with plain pickle."""
