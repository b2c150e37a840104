"""Pictures in chat: the footage's contact sheet, the timeline drawn, a reel's picked moments and a
render's poster frame, made from the draft and the media (``PictureMaker``). Surfaces only send them."""

from core.pictures.maker import PictureMaker

__all__ = ["PictureMaker"]
