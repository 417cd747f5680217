import { useEffect, useState } from 'preact/hooks';

/** A modal dialog (the native <dialog>: focus trapped, Esc closes). */
export function Dialog({ title, onClose, children, wide }) {
  const [ref, setRef] = useState(null);
  useEffect(() => {
    if (ref && !ref.open) ref.showModal();
  }, [ref]);
  return (
    <dialog
      ref={setRef}
      class={`dialog${wide ? ' wide' : ''}`}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header>
        <h2>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}
