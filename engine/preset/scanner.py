"""ruamel's round-trip scanner, with comment runs joined in linear time.

ruamel grows the comment that follows a value one line at a time (``c.value = c.value + line``), so a block of
n comment lines after a value costs n² characters copied: 80,000 such lines took minutes. This scanner gathers
those lines in a list and joins them once; the tokens it returns are the same.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import tokens
from ruamel.yaml.scanner import RoundTripScanner

_AFTER_ON_SAME_LINE = (tokens.ScalarToken, tokens.ValueToken, tokens.FlowSequenceEndToken,
                       tokens.FlowMappingEndToken)


class LinearCommentScanner(RoundTripScanner):
    def get_token(self) -> Any:
        # RoundTripScanner.get_token (ruamel.yaml 0.18/0.19), with each comment run joined once at its end.
        while self.need_more_tokens():
            self.fetch_more_tokens()
        self._gather_comments()
        if not self.tokens:
            return None
        first = self.tokens[0]
        if (len(self.tokens) > 1 and isinstance(first, _AFTER_ON_SAME_LINE)
                and isinstance(self.tokens[1], tokens.CommentToken)
                and first.end_mark.line == self.tokens[1].start_mark.line):
            comment = self._take_comment()
            self.fetch_more_tokens()
            comment.value = "".join(self._rest_of_run([comment.value]))
            first.add_post_comment(comment)
        elif (len(self.tokens) > 1 and isinstance(first, tokens.ScalarToken)
              and isinstance(self.tokens[1], tokens.CommentToken)
              and first.end_mark.line != self.tokens[1].start_mark.line):
            comment = self._take_comment()
            head = "\n" * (comment.start_mark.line - first.end_mark.line) + " " * comment.start_mark.column
            comment.value = head + comment.value
            first.add_post_comment(comment)  # attached before reading on, as ruamel does
            self.fetch_more_tokens()
            comment.value = "".join(self._rest_of_run([comment.value]))
        self.tokens_taken += 1
        return self.tokens.pop(0)

    def _take_comment(self) -> Any:
        self.tokens_taken += 1
        return self.tokens.pop(1)

    def _rest_of_run(self, parts: list[str]) -> list[str]:
        """The comment lines that follow directly, each indented to its column, appended to ``parts``."""
        while len(self.tokens) > 1 and isinstance(self.tokens[1], tokens.CommentToken):
            self.tokens_taken += 1
            line = self.tokens.pop(1)
            parts.append(" " * line.start_mark.column)
            parts.append(line.value)
            self.fetch_more_tokens()
        return parts
