// What went wrong, announced to screen readers as it appears; nothing when
// nothing did.
export function Alert({ message, class: extra }) {
  if (!message) return null;
  return (
    <p class={`error${extra ? ` ${extra}` : ''}`} role="alert">
      {message}
    </p>
  );
}
