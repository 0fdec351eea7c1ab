"""The Chinese message of a pydantic validation error, with the limits its context names ("不得大于
100", "长度不得超过 200 个字符"). Pure (no web framework): the web edge (``shared.problems``) and domain
checks that validate with pydantic (a period definition) say the same thing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ZH_TEMPLATES", "zh_message"]

_INVALID = "取值无效"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

# One template per pydantic error type; {key} is taken from the error's context.
ZH_TEMPLATES: dict[str, str] = {
    "no_such_attribute": "对象没有属性 {attribute}",
    "json_invalid": "JSON 格式错误",
    "json_type": "JSON 输入必须是字符串或字节串",
    "needs_python_object": "取值类型不受支持",
    "recursion_loop": "数据存在循环引用",
    "recursion_depth_exceeded": "数据嵌套过深",
    "missing": "缺少必填字段",
    "frozen_field": "该字段不可修改",
    "frozen_instance": "该对象不可修改",
    "extra_forbidden": "不允许的字段",
    "invalid_key": "键必须是字符串",
    "get_attribute_error": "无法读取属性",
    "model_type": "必须是对象",
    "model_attributes_type": "必须是对象",
    "dataclass_type": "必须是对象",
    "dataclass_exact_type": "必须是对象",
    "named_tuple_type": "必须是数组或对象",
    "default_factory_not_called": "因其他字段有误，未计算默认值",
    "none_required": "必须为空（null）",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不得小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不得大于 {le}",
    "multiple_of": "必须是 {multiple_of} 的倍数",
    "finite_number": "必须是有限数值",
    "too_short": "至少需要 {min_length} 项，实际 {actual_length} 项",
    "too_long": "最多 {max_length} 项",
    "iterable_type": "必须是可迭代的数组",
    "iteration_error": "无法遍历该值",
    "string_type": "必须是字符串",
    "string_unicode": "必须是有效的 Unicode 字符串",
    "string_too_short": "长度不得少于 {min_length} 个字符",
    "string_too_long": "长度不得超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确，须匹配 {pattern}",
    "string_not_ascii": "只能包含 ASCII 字符",
    "enum": "取值必须是 {expected} 之一",
    "dict_type": "必须是对象",
    "frozen_dict_type": "必须是对象",
    "ordered_dict_type": "必须是对象",
    "counter_type": "必须是对象",
    "mapping_type": "必须是对象",
    "list_type": "必须是数组",
    "deque_type": "必须是数组",
    "tuple_type": "必须是数组",
    "set_type": "必须是数组",
    "set_item_not_hashable": "数组元素类型不受支持",
    "bool_type": "必须是布尔值",
    "bool_parsing": "必须是布尔值（true 或 false）",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_parsing_size": "整数位数过多",
    "int_from_float": "必须是整数，不能有小数部分",
    "float_type": "必须是数值",
    "float_parsing": "必须是数值",
    "bytes_type": "必须是字节串",
    "bytes_too_short": "不得少于 {min_length} 个字节",
    "bytes_too_long": "不得超过 {max_length} 个字节",
    "bytes_invalid_encoding": "字节串编码无效",
    "value_error": _INVALID,
    "assertion_error": _INVALID,
    "literal_error": "取值必须是 {expected} 之一",
    "missing_sentinel_error": _INVALID,
    "ellipsis_error": _INVALID,
    "date_type": "必须是日期",
    "date_parsing": "日期格式不正确（须为 YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（须为 YYYY-MM-DD）",
    "date_from_datetime_inexact": "日期不能带时间部分",
    "date_past": "必须是过去的日期",
    "date_future": "必须是将来的日期",
    "time_type": "必须是时间",
    "time_parsing": "时间格式不正确",
    "datetime_type": "必须是日期时间",
    "datetime_parsing": "日期时间格式不正确（RFC 3339，如 2024-09-02T09:00:00+08:00）",
    "datetime_object_invalid": "日期时间无效",
    "datetime_from_date_parsing": "日期时间格式不正确（RFC 3339，如 2024-09-02T09:00:00+08:00）",
    "datetime_past": "必须是过去的时间",
    "datetime_future": "必须是将来的时间",
    "timezone_naive": "不得带时区偏移",
    "timezone_aware": "日期时间必须带时区偏移（如 +08:00）",
    "timezone_offset": "时区偏移必须是 {tz_expected} 秒，实际为 {tz_actual} 秒",
    "time_delta_type": "必须是时长",
    "time_delta_parsing": "时长格式不正确",
    "frozen_set_type": "必须是数组",
    "is_instance_of": "类型不正确",
    "is_subclass_of": "类型不正确",
    "callable_type": "类型不正确",
    "union_tag_invalid": "类型标签 {tag} 无效，须为 {expected_tags} 之一",
    "union_tag_not_found": "缺少类型标签字段 {discriminator}",
    "arguments_type": "参数必须是数组或对象",
    "missing_argument": "缺少必需参数",
    "unexpected_keyword_argument": "不允许的参数",
    "missing_keyword_only_argument": "缺少必需参数",
    "unexpected_positional_argument": "不允许的参数",
    "missing_positional_only_argument": "缺少必需参数",
    "multiple_argument_values": "参数重复",
    "url_type": "必须是网址",
    "url_parsing": "网址格式不正确",
    "url_syntax_violation": "网址格式不正确",
    "url_too_long": "网址长度不得超过 {max_length} 个字符",
    "url_scheme": "网址协议必须是 {expected_schemes} 之一",
    "uuid_type": "必须是 UUID",
    "uuid_parsing": "UUID 格式不正确",
    "uuid_version": "必须是第 {expected_version} 版 UUID",
    "decimal_type": "必须是数值",
    "decimal_parsing": "必须是数值",
    "decimal_max_digits": "总位数不得超过 {max_digits} 位",
    "decimal_max_places": "小数位数不得超过 {decimal_places} 位",
    "decimal_whole_digits": "整数部分不得超过 {whole_digits} 位",
    "fraction_type": "必须是分数或数值",
    "fraction_parsing": "分数格式不正确",
    "complex_type": "必须是复数",
    "complex_str_parsing": "复数格式不正确",
}

# A bound on a date or an instant reads as "not later than", not "not greater than".
_DATE_TEMPLATES = {
    "greater_than": "必须晚于 {gt}",
    "greater_than_equal": "不得早于 {ge}",
    "less_than": "必须早于 {lt}",
    "less_than_equal": "不得晚于 {le}",
}


def _choices(value: Any) -> str:
    """Pydantic's "'a', 'b' or 'c'" as "'a'、'b'、'c'"."""
    return re.sub(r",\s*|\s+or\s+", "、", str(value))


def zh_message(error: Mapping[str, Any]) -> str:
    """The Chinese message of one error of ``ValidationError.errors()``."""
    kind = str(error.get("type", "value_error"))
    ctx = dict(error.get("ctx") or {})
    raised = ctx.get("error")
    if kind in ("value_error", "assertion_error"):
        # A validator that raised shared.domain_types.BilingualError says it in Chinese itself.
        return str(getattr(raised, "zh", _INVALID))
    template = ZH_TEMPLATES.get(kind, _INVALID)
    bound = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), None)
    if kind in _DATE_TEMPLATES and isinstance(bound, str) and _DATE.match(bound):
        template = _DATE_TEMPLATES[kind]
    for key in ("expected", "expected_tags", "expected_schemes"):
        if key in ctx:
            ctx[key] = _choices(ctx[key])
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template.split("{", 1)[0].rstrip("，（ ") or _INVALID
